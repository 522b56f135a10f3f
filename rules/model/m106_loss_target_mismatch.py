"""
## What it does
Compares the loss with what the targets are: cross-entropy on continuous targets that
are not probabilities (values outside [0, 1], or any non-integer target of the sparse
loss), and categorical cross-entropy on a single output unit. Continuous targets inside
[0, 1] are probabilities (soft or smoothed labels, the pixels an autoencoder rebuilds)
and are left alone. A regression loss on class labels is M108.

## Why is this bad?
Each trains without an error and converges to something useless: cross-entropy is not a
loss for targets outside [0, 1] (it rewards pushing the output to the boundary, and goes
negative); categorical cross-entropy over one unit is always zero, so nothing is learned.

## Example
```python
layers.Dense(1, activation="sigmoid")
model.compile(loss="binary_crossentropy")  # y is a price in dollars
```

## Use instead
```python
layers.Dense(1)
model.compile(loss="mse")
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    data_file_training,
    fmt_number,
    is_classification,
    single_output_and_target,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

PROBABILITY_SLACK = 1e-6  # float round-off around [0, 1]


def loss_target_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    single = single_output_and_target(model, data)
    if single is None:
        return
    output, loss, target = single
    site = output.site or train.site
    low, high = target.min, target.max
    if is_classification(model) and target.kind == "continuous" and low is not None:
        sparse = loss == "sparse_categorical_crossentropy"
        if not sparse and low >= -PROBABILITY_SLACK and (high or 0) <= 1 + PROBABILITY_SLACK:
            return  # probabilities: soft or smoothed labels, pixels an autoencoder rebuilds
        what = "class ids" if sparse else "class labels or probabilities in [0, 1]"
        yield at_site(
            site,
            f"{loss} on continuous targets (from {fmt_number(round(low, 3))} to "
            f"{fmt_number(round(high or 0, 3))}): cross-entropy needs {what}",
            "loss='mse' (or 'huber') with a linear output for regression",
            loss=loss,
        )
    elif loss == "categorical_crossentropy" and output.units == 1:
        yield at_site(
            site,
            "categorical_crossentropy over a single output unit is always zero: nothing is learned",
            "binary task: loss='binary_crossentropy' with a sigmoid unit; k classes: k units",
            loss=loss,
        )


RULE = rule(
    code="M106",
    name="loss-target-mismatch",
    severity=Severity.ERROR,
    summary="The loss does not fit the kind of target",
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(
        loss_target_mismatch,
        stand_in(loss_target_mismatch, train=data_file_training),
    ),
)
