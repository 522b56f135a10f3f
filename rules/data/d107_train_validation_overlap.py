"""
## What it does
Hashes every sampled training input and every sampled validation input and counts the
validation inputs that also occur in training, when `validation_data` is given.

## Why is this bad?
A validation sample the model trains on measures memory, not generalisation: validation
loss looks better than it is, and early stopping and checkpoints pick the wrong epoch.
Duplicated rows before a random split are the usual cause.

## Example
```python
x_train, x_val = x[:9000], x[8000:]  # 1,000 rows in both
```

## Use instead
```python
x = np.unique(x, axis=0)  # or drop duplicates, then split without overlap
```

## Options
`overlap-share` (0.01): the share of the validation sample that may repeat training
inputs (genuine duplicates) without a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, TrainFacts


def train_validation_overlap(
    data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if train.validation != "data" or not data.validation_input_hashes or not data.input_hashes:
        return
    training = set(data.input_hashes)
    shared = sum(1 for h in data.validation_input_hashes if h in training)
    total = len(data.validation_input_hashes)
    if shared / total <= options["overlap-share"]:
        return
    yield at_site(
        train.site,
        f"{shared:,} of {total:,} sampled validation inputs ({shared / total:.1%}) also occur "
        "in the training data: validation scores will be optimistic",
        "deduplicate before splitting, and split so that no sample lands on both sides",
        overlap=shared,
        validation_samples=total,
    )


RULE = rule(
    code="D107",
    name="train-validation-overlap",
    severity=Severity.WARNING,
    summary="Validation samples that also appear in the training data",
    options={"overlap-share": 0.01},
    doc=__doc__,
    implementations=(train_validation_overlap,),
)
