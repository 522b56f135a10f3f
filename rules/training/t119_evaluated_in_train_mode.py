"""
## What it does
In a PyTorch script that trains with a `torch.optim` optimizer, finds the model evaluated
inside `with torch.no_grad():` (or `torch.inference_mode()`, or a function decorated with
either) while nothing in the script ever switches it to evaluation mode (no `.eval()`, no
`.train(False)`), when the model has layers that behave differently in training: the
script builds an `nn.Dropout*` or `nn.BatchNorm*` (or a torchvision model). `no_grad`
only stops gradient tracking; it does not change a layer's mode.

## Why is this bad?
In training mode Dropout keeps dropping units during validation, so the validation loss
is noisy and pessimistic, and BatchNorm normalises with each validation batch's own
statistics and updates its running averages with validation data. Model selection and
early stopping then follow the wrong numbers, and the saved model has seen the validation
set. Nothing raises.

## Example
```python
for epoch in range(epochs):
    model.train()
    ...
    with torch.no_grad():
        val_loss = sum(loss_fn(model(x), y).item() for x, y in val_loader)
```

## Use instead
```python
for epoch in range(epochs):
    model.train()
    ...
    model.eval()
    with torch.no_grad():
        val_loss = sum(loss_fn(model(x), y).item() for x, y in val_loader)
```
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at

NO_GRAD = {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"}
MODE_DEPENDENT = (
    "torch.nn.Dropout",
    "torch.nn.BatchNorm",
    "torch.nn.AlphaDropout",
    "torchvision.models.",
)


def _trained_models(source: SourceFacts) -> set[str]:
    """How the script names the modules its torch.optim optimizers update (``model``,
    ``self.net``): the receivers of the ``.parameters()`` given to the optimizer."""
    names = set()
    for step in source.torch_optimizer_steps:
        optimizer = step.receiver
        params = optimizer.arg("params", 0) if isinstance(optimizer, CallSite) else None
        if isinstance(params, CallSite) and params.method == "parameters":
            names.add(ast.unparse(params.node.func).rpartition(".")[0])
    return names


def _no_grad_bodies(source: SourceFacts) -> Iterator[ast.AST]:
    """The ``with torch.no_grad():`` blocks and the functions decorated with it."""
    for call in source.calls:
        if call.qualname not in NO_GRAD:
            continue
        for node in ast.walk(source.tree):
            if isinstance(node, ast.With):
                opened = [item.context_expr for item in node.items]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                opened = node.decorator_list
            else:
                continue
            if any(expression is call.node for expression in opened):
                yield node


def _switches_mode(source: SourceFacts) -> bool:
    for call in source.calls:
        if call.method == "eval":
            return True
        if call.method == "train" and call.arg("mode", 0) is False:
            return True
    return False


def _has_mode_dependent_layers(source: SourceFacts) -> bool:
    return any((call.qualname or "").startswith(MODE_DEPENDENT) for call in source.calls)


def evaluated_in_train_mode(source: SourceFacts) -> Iterator[Violation]:
    if "pytorch" not in source.frameworks or _switches_mode(source):
        return
    models = _trained_models(source)
    if not models or not _has_mode_dependent_layers(source):
        return
    for body in _no_grad_bodies(source):
        for node in ast.walk(body):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in models:
                name = ast.unparse(node.func)
                call = next(c for c in source.calls if c.node is node)
                yield at(
                    call,
                    f"{name} is evaluated under no_grad at line {node.lineno} but nothing ever "
                    f"calls {name}.eval(): Dropout keeps dropping, and BatchNorm normalises "
                    "with each batch's statistics and updates its running averages with "
                    "this data",
                    f"{name}.eval() before evaluating, and {name}.train() before training again",
                )
                return


RULE = rule(
    code="T119",
    name="evaluated-in-train-mode",
    severity=Severity.WARNING,
    summary="A PyTorch script evaluates its model under no_grad without ever calling eval()",
    tip=14,
    doc=__doc__,
    implementations=(evaluated_in_train_mode,),
)
