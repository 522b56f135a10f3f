"""
## What it does
Compares the loss with what the labels are: a regression loss (MSE, MAE, Huber) on a
classifier's 0/1 or class-id labels with a softmax/sigmoid output; cross-entropy on
continuous targets; categorical cross-entropy on a single output unit.

## Why is this bad?
Each trains without an error and converges to something useless: MSE on class labels
gives weak gradients where the classifier is most wrong; cross-entropy on continuous
targets is undefined outside [0, 1]; categorical cross-entropy over one unit is always
zero, so nothing is learned.

## Example
```python
layers.Dense(1, activation="sigmoid")
model.compile(loss="mse")  # y is 0/1
```

## Use instead
```python
model.compile(loss="binary_crossentropy")
```
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    DATA_FILE_TRAINING,
    REGRESSION_LOSSES,
    at_site,
    fmt_number,
    is_classification,
    single_output_and_target,
)


def loss_target_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    single = single_output_and_target(model, data)
    if single is None:
        return
    output, loss, target = single
    site = output.site or train.site
    labels = target.kind in {"binary", "sparse", "one_hot"}
    if loss in REGRESSION_LOSSES and labels and output.activation in {"softmax", "sigmoid"}:
        better = (
            "binary_crossentropy"
            if target.kind == "binary"
            else (
                "sparse_categorical_crossentropy"
                if target.kind == "sparse"
                else "categorical_crossentropy"
            )
        )
        yield at_site(
            site,
            f"{loss} on {target.kind} class labels with a {output.activation} output: a "
            "regression loss gives weak gradients exactly where the classifier is wrong",
            f"loss='{better}'",
            loss=loss,
            labels=target.kind,
        )
    elif is_classification(model) and target.kind == "continuous":
        yield at_site(
            site,
            f"{loss} on continuous targets (from {fmt_number(round(target.min or 0, 3))} to "
            f"{fmt_number(round(target.max or 0, 3))}): cross-entropy needs class labels or "
            "probabilities",
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
    doc=__doc__,
    implementations=(
        loss_target_mismatch,
        stand_in(loss_target_mismatch, train=DATA_FILE_TRAINING),
    ),
)
