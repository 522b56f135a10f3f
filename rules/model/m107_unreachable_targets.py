"""
## What it does
For a regression loss, compares the range of the targets with the range of the output
activation: sigmoid/softmax (0 to 1), tanh (-1 to 1), relu (0 and up). In PyTorch the
activation is read from the autograd graph of what the loss received, and the targets are
the ones the loss was given at the first step.

## Why is this bad?
A sigmoid cannot output 250,000, and a relu cannot output -3: the loss has a floor the
optimizer can never get below, and the model learns to saturate.

## Example
```python
layers.Dense(1, activation="sigmoid")  # targets up to 45.0
model.compile(loss="mse")
```

## Use instead
```python
layers.Dense(1)  # linear, or scale the targets into the activation's range
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    REGRESSION_LOSSES,
    at_site,
    data_file_training,
    fmt_number,
    single_output,
    single_output_and_target,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

BOUNDS = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, None)}


def unreachable_targets(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    if model.framework == "pytorch":  # the targets the loss was given, after the loop
        head, target_seen = single_output(model), model.loss_target
        single = (*head, target_seen) if head is not None and target_seen else None
    else:
        single = single_output_and_target(model, data)
    if single is None:
        return
    output, loss, target = single
    if loss not in REGRESSION_LOSSES or target.kind not in {"continuous", "sparse"}:
        return
    bounds = BOUNDS.get(output.activation)
    if bounds is None or target.min is None or target.max is None:
        return
    low, high = bounds
    if target.min >= low and (high is None or target.max <= high):
        return
    reach = (
        f"{fmt_number(low)} to {fmt_number(high)}"
        if high is not None
        else f"{fmt_number(low)} and up"
    )
    yield at_site(
        output.site or train.site,
        f"targets range from {fmt_number(round(target.min, 3))} to "
        f"{fmt_number(round(target.max, 3))}, but the {output.activation} output of "
        f"'{output.layer}' only reaches {reach}",
        (
            "no activation after the last nn.Linear, or scale the targets into the "
            "activation's range"
            if model.framework == "pytorch"
            else "a linear output (no activation), or scale the targets into the activation's range"
        ),
        target_range=[target.min, target.max],
    )


RULE = rule(
    code="M107",
    name="unreachable-targets",
    severity=Severity.ERROR,
    summary="The output activation cannot reach the regression targets",
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        unreachable_targets,
        stand_in(unreachable_targets, train=data_file_training),
    ),
)
