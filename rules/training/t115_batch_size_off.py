"""
## What it does
Compares `fit()`'s batch size with the number of training rows (array data, after
`validation_split` holds its share out): fires when the batch is larger than the whole
training set, and when it is 1 on 10,000 rows or more (or 1 with `BatchNormalization` in
the model, at any size).

## Why is this bad?
A batch larger than the data means every epoch is a single step on all of it: `epochs`
then counts optimizer steps (100 epochs are 100 updates), usually a sign that the batch
size was meant for another data set. A batch of one makes an epoch as many optimizer
steps as there are rows, each too small to keep the hardware busy, with the noisiest
gradient there is; BatchNormalization cannot normalize a batch of one sample (its
variance is zero), so the layers after it see constants.

## Options
`min-rows-for-batch-1` (10000): the training rows from which a batch of one fires.

## Example
```python
model.fit(x_train, y_train, batch_size=1)  # 60,000 rows
```

## Use instead
```python
model.fit(x_train, y_train, batch_size=32)
```
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def batch_size_off(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if train.entry != "fit" or data.length is None or train.batch_size is None:
        return
    rows = math.floor(data.length * (1 - train.validation_split))
    batch = train.batch_size
    if rows <= 0:
        return
    if batch > rows:
        epochs = train.epochs or 1
        yield at_site(
            train.site,
            f"batch_size={batch:,} is larger than the {rows:,} training rows: every epoch is "
            f"one optimizer step on all of them, so epochs={epochs} means {epochs} "
            f"update{'' if epochs == 1 else 's'}",
            f"batch_size=32 (or another size well under {rows:,})",
            batch_size=batch,
            rows=rows,
        )
    elif batch == 1:
        norm = any(layer.kind == "BatchNormalization" for layer in model.layers)
        if rows < options["min-rows-for-batch-1"] and not norm:
            return
        why = (
            "BatchNormalization cannot normalize a single sample (its variance is zero)"
            if norm
            else "each step is too small to keep the hardware busy, with the noisiest gradient"
        )
        yield at_site(
            train.site,
            f"batch_size=1 on {rows:,} training rows: an epoch is {rows:,} optimizer steps; {why}",
            "batch_size=32",
            batch_size=batch,
            rows=rows,
        )


RULE = rule(
    code="T115",
    name="batch-size-off",
    severity=Severity.WARNING,
    summary="A batch size absurd for the data: larger than the training set, or 1 on a large one",
    options={"min-rows-for-batch-1": 10_000},
    doc=__doc__,
    implementations=(batch_size_off,),
)
