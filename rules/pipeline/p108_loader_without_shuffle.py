"""
## What it does
In a PyTorch setup, checks the training `DataLoader` of a classification task: when it
iterates the dataset in its stored order every epoch (`shuffle=False` and no sampler, so a
`SequentialSampler`), it fires.

## Why is this bad?
Stored data is often grouped: by class, by source file, by date. In stored order each
batch holds a few classes only, so every step pulls the model towards them and the next
batches pull it back; the loss oscillates, batch normalization sees unrepresentative
statistics, and the last classes of an epoch weigh the most. Keras' `fit()` shuffles by
default; a `DataLoader` does not.

## Example
```python
train_loader = DataLoader(train_set, batch_size=64)
```

## Use instead
```python
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import CLASS_LABEL_KINDS, at_site, is_classification, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def loader_without_shuffle(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    target = single_target(data)
    if train.shuffle is not False or target is None or target.kind not in CLASS_LABEL_KINDS:
        return
    if not is_classification(model):
        return
    yield at_site(
        train.site,
        f"the training DataLoader iterates its {data.length or data.samples:,} samples in "
        "stored order every epoch (no shuffle, no sampler): batches follow however the data "
        "is grouped, and every epoch ends on the same samples",
        "DataLoader(..., shuffle=True)",
    )


RULE = rule(
    code="P108",
    name="loader-without-shuffle",
    severity=Severity.WARNING,
    summary="A PyTorch training DataLoader that never shuffles",
    tip=8,
    frameworks=("pytorch",),
    doc=__doc__,
    implementations=(loader_without_shuffle,),
)
