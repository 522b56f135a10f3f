"""
## What it does
In a PyTorch loop, reads the gradients of every parameter the optimizer holds when its
first `optimizer.step()` runs (before any update), and the order of the `backward()` and
`zero_grad()` calls before it. It fires when no parameter carries a nonzero gradient and
the cause is certain: a `zero_grad()` of those parameters runs after the last `backward()`
(the classic misplaced clear), no `backward()` runs before the step, or every `.grad` is
still None after it (the optimizer holds parameters the loss never reaches, or frozen
ones). Gradients that are exactly zero after a `backward()` with no clear in between are
left to the rules that explain them (M102: a softmax over one class).

## Why is this bad?
`optimizer.step()` applies the gradients the parameters hold. With none, every step of
every epoch changes nothing (or, with weight decay, only shrinks the weights): the loss
stays where initialisation put it, and the run spends its whole budget learning nothing.
Nothing raises.

## Example
```python
for x, y in loader:
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
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

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import Site, StepGradients, TrainFacts


def _where(site: Site | None, step: Site | None) -> str:
    """``line N``, naming the file when it is not the step's."""
    if site is None:
        return "in library code"
    if step is not None and site.path != step.path:
        return f"at line {site.line} of {Path(site.path).name}"
    return f"at line {site.line}"


def _cause(gradients: StepGradients, step: Site | None) -> tuple[str, str] | None:
    """Why no parameter has a gradient, with the fix; None when that is not certain."""
    if gradients.cleared_seen and gradients.backward_seen:
        return (
            f"zero_grad() {_where(gradients.cleared, step)} runs after backward() "
            f"{_where(gradients.backward, step)} and clears what it computed",
            "call optimizer.zero_grad() before the forward pass (or right after step()), "
            "never between backward() and step()",
        )
    if not gradients.backward_seen:
        return (
            "no backward() runs before it",
            "call loss.backward() before optimizer.step()",
        )
    if gradients.without < gradients.parameters:
        return None  # zeros computed by backward(): the loss's own problem, not the loop's
    if gradients.frozen == gradients.parameters:
        return (
            "every one of them has requires_grad=False",
            "unfreeze the parameters to train, or give the optimizer only the trainable ones "
            "(filter(lambda p: p.requires_grad, model.parameters()))",
        )
    if not gradients.owner_called:
        return (
            "they belong to no module the script called before the step: the optimizer "
            "was built on another model's parameters",
            "build the optimizer from the parameters of the model that computes the loss, "
            "after that model is created",
        )
    return (
        f"the backward() {_where(gradients.backward, step)} does not reach them, or "
        "something sets their .grad to None before the step",
        "compute the loss from the model's output without detach() or no_grad(), and "
        "clear the gradients only before the forward pass",
    )


def step_without_gradients(train: TrainFacts) -> Iterator[Violation]:
    gradients = train.step_gradients
    if gradients is None or gradients.parameters == 0 or gradients.with_gradient:
        return
    cause = _cause(gradients, train.site)
    if cause is None:
        return
    reason, fix = cause
    yield at_site(
        train.site,
        f"the first optimizer.step() finds no gradient on any of the "
        f"{gradients.parameters} parameter tensors it updates ({reason}): this step and every one "
        "after it change nothing, and the model never learns",
        fix,
        parameters=gradients.parameters,
        without_gradient=gradients.without,
    )


RULE = rule(
    code="T121",
    name="step-without-gradients",
    severity=Severity.ERROR,
    summary=(
        "PyTorch: the first `optimizer.step()` finds no gradient on any parameter it updates "
        "(`zero_grad()` between `backward()` and `step()`, no `backward()`, or parameters "
        "the loss never reaches)"
    ),
    frameworks=("pytorch",),
    tip=14,
    doc=__doc__,
    implementations=(step_without_gradients,),
)
