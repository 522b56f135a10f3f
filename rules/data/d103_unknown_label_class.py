"""
## What it does
Flags integer labels where -1 appears beside non-negative class ids: the usual code for
"unknown", "not labelled" or "none of these".

## Why is this bad?
Keras trains -1 like any other label: with sparse cross-entropy it is out of range (an
error on the CPU, a silent NaN or garbage loss on a GPU); with other losses the model
learns to predict "unknown". Unlabelled samples should be dropped (or given a zero
sample weight), and a real "none of the above" answer should be its own class id.

## Example
```python
y = df["label"].fillna(-1).astype(int)
```

## Use instead
```python
known = df["label"].notna()
x, y = x[known], df.loc[known, "label"].astype(int)
# or keep them as an explicit neutral class: y = y.replace(-1, n_classes)
```

## References
Tip 5 of the training tips (use a neutral class).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, has_unknown_label, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, TrainFacts


def unknown_label_class(data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    target = single_target(data)
    if target is None or not has_unknown_label(target):
        return
    unknown, total = target.classes["-1"], sum(target.classes.values())
    yield at_site(
        train.site,
        f"{unknown:,} of {total:,} labels ({unknown / total:.1%}) are -1, beside class ids "
        f"0 and up: -1 usually means 'unknown', and Keras trains it as a label",
        "drop the unlabelled rows (or give them sample_weight 0), or map -1 to its own class id",
        unknown=unknown,
    )


RULE = rule(
    code="D103",
    name="unknown-label-class",
    severity=Severity.WARNING,
    summary="Labels coded -1 (unknown) train as a class",
    tip=5,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(
        unknown_label_class,
        stand_in(unknown_label_class, train=data_file_training),
    ),
)
