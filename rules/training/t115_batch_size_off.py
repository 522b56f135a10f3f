"""
## What it does
Compares `fit()`'s batch size with the number of training rows (array data, after
`validation_split` holds its share out): fires when the batch is larger than the whole
training set, and when it is 1 on 10,000 rows or more (or 1 with `BatchNormalization` in
the model, at any size). In PyTorch, the training `DataLoader`'s `batch_size` against its
dataset, when its sampler draws from the whole of it (shuffled or in order; a subset
sampler is left alone).

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
DataLoader(train_set, batch_size=32, shuffle=True)  # PyTorch
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
    pytorch = model.framework == "pytorch"
    # PyTorch: the DataLoader's batches, when its sampler covers the whole dataset
    judged = train.shuffle is not None if pytorch else train.entry == "fit"
    if not judged or data.length is None or train.batch_size is None:
        return
    rows = math.floor(data.length * (1 - train.validation_split))
    batch = train.batch_size
    fix = "DataLoader(..., batch_size=32)" if pytorch else "batch_size=32"
    if rows <= 0:
        return
    if batch > rows:
        epochs = train.epochs
        updates = (
            f", so epochs={epochs} means {epochs} update{'' if epochs == 1 else 's'}"
            if epochs
            else ""
        )
        yield at_site(
            train.site,
            f"batch_size={batch:,} is larger than the {rows:,} training rows: every epoch is "
            f"one optimizer step on all of them{updates}",
            f"{fix} (or another size well under {rows:,})",
            batch_size=batch,
            rows=rows,
        )
    elif batch == 1:
        # PyTorch's BatchNorm1d refuses a batch of one in training (the script fails first),
        # and BatchNorm2d still has the image's positions to average over
        norm = not pytorch and any(layer.kind == "BatchNormalization" for layer in model.layers)
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
            fix,
            batch_size=batch,
            rows=rows,
        )


RULE = rule(
    code="T115",
    name="batch-size-off",
    severity=Severity.WARNING,
    summary="A batch size absurd for the data: larger than the training set, or 1 on a large one",
    options={"min-rows-for-batch-1": 10_000},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(batch_size_off,),
)
