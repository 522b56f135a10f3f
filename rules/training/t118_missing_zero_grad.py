"""
## What it does
In a PyTorch script, checks a training loop that calls `.backward()` and steps a
`torch.optim` optimizer inside a `for` or `while` loop: when nothing in the script ever
clears the gradients (no `zero_grad()` on the optimizer or the model, no `p.grad = None`,
no `p.grad.zero_()`), it fires. Gradient accumulation that clears every few steps still
calls `zero_grad()` and is left alone; Lightning and other trainers that clear the
gradients themselves do not step a `torch.optim` optimizer in the script.

## Why is this bad?
`backward()` adds to `.grad`; it does not replace it. Without clearing, every step applies
the sum of all gradients so far: the effective learning rate grows with each step, the
updates point wherever the first batches pointed, and the loss soon stalls or explodes.
Nothing raises.

## Example
```python
for x, y in loader:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```

## Use instead
```python
for x, y in loader:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
```
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at

LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _clears_gradients(source: SourceFacts) -> bool:
    if any(call.method in {"zero_grad", "zero_"} for call in source.calls):
        return True
    for node in ast.walk(source.tree):  # p.grad = None
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets
        ):
            return True
    return False


def _in_loop(tree: ast.Module, call: ast.Call) -> bool:
    for loop in (n for n in ast.walk(tree) if isinstance(n, LOOPS)):
        if any(node is call for node in ast.walk(loop)):
            return True
    return False


def missing_zero_grad(source: SourceFacts) -> Iterator[Violation]:
    if "pytorch" not in source.frameworks:
        return
    steps = [s for s in source.torch_optimizer_steps if _in_loop(source.tree, s.node)]
    if not steps or not any(call.method == "backward" for call in source.calls):
        return
    if _clears_gradients(source):
        return
    step = steps[0]
    yield at(
        step,
        f"{step.text()}() runs in a loop and nothing clears the gradients: backward() adds "
        "to .grad, so every step applies the sum of all gradients so far",
        f"{step.text().rpartition('.')[0]}.zero_grad() at the start of each iteration",
    )


RULE = rule(
    code="T118",
    name="missing-zero-grad",
    severity=Severity.ERROR,
    summary="A PyTorch training loop that never clears the gradients",
    tip=14,
    doc=__doc__,
    implementations=(missing_zero_grad,),
)
