"""
## What it does
Checks the label format against the loss: integer class ids need
`sparse_categorical_crossentropy`, one-hot rows need `categorical_crossentropy`.

## Why is this bad?
Keras stops at the first step with a rank error (on a good day) after the whole data
pipeline and the model were set up; nncheck says which loss fits before that.

## Example
```python
y = np.array([0, 3, 1, ...])
model.compile(loss="categorical_crossentropy")
```

## Use instead
```python
model.compile(loss="sparse_categorical_crossentropy")
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, single_output, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def label_format_loss_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None:
        return
    loss = single[1]
    if loss == "categorical_crossentropy" and target.kind == "sparse":
        better = "sparse_categorical_crossentropy"
        labels = "integer class ids"
    elif loss == "sparse_categorical_crossentropy" and target.kind == "one_hot":
        better = "categorical_crossentropy"
        labels = "one-hot rows"
    else:
        return
    yield at_site(
        train.site,
        f"the labels are {labels}, but the loss is {loss}: Keras fails at the first step",
        f"loss='{better}'",
        loss=loss,
        labels=target.kind,
    )


RULE = rule(
    code="M104",
    name="label-format-loss-mismatch",
    severity=Severity.ERROR,
    summary="Sparse vs one-hot labels do not match the loss",
    tip=19,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(
        label_format_loss_mismatch,
        stand_in(label_format_loss_mismatch, train=data_file_training),
    ),
)
