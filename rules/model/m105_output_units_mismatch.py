"""
## What it does
Compares the width of one-hot or multi-hot labels with the units of the output layer.

## Why is this bad?
With 5 label columns and 10 output units the loss cannot be computed: Keras stops at
the first step, after the data pipeline and the model were set up. Usually the number
of classes was hard-coded, or computed on another split than the labels.

## Example
```python
y = keras.utils.to_categorical(labels)  # 5 classes
outputs = layers.Dense(10, activation="softmax")(x)
```

## Use instead
```python
outputs = layers.Dense(y.shape[1], activation="softmax")(x)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, output_location, single_output, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def output_units_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or target.kind not in {"one_hot", "multi_hot"}:
        return
    output = single[0]
    width = target.shape[-1] if target.shape else None
    if width is None or output.units is None or width == output.units:
        return
    yield at_site(
        output.site or train.site,
        f"the labels have {width} columns, but {output_location(output)} has {output.units} units",
        f"units={width} on the output layer (one per label column)",
        label_width=width,
        units=output.units,
    )


RULE = rule(
    code="M105",
    name="output-units-mismatch",
    severity=Severity.ERROR,
    summary="Output units do not match the label width",
    tip=19,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(
        output_units_mismatch,
        stand_in(output_units_mismatch, train=data_file_training),
    ),
)
