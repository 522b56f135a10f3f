"""
## What it does
Groups the sampled training inputs by content and counts the samples whose identical
input appears with a different label elsewhere; it fires when they are at least 1% of the
sample. Inputs made only of small whole numbers (coarse tabular codes) are left alone:
there identical rows with different outcomes are expected.

## Why is this bad?
The same image or record with two labels is either a labelling error or a case the
classes cannot separate. Either way the model is pushed two ways, and the loss cannot go
below the share of conflicts; relabel, merge the samples, or use a neutral class.

## Example
```python
x = np.concatenate([images, images_from_second_annotator])  # labels disagree
```

## Use instead
Deduplicate, keeping one agreed label per input (majority vote), or add a neutral class.

## Options
`conflict-share` (0.01): the share of sampled inputs in conflict from which it fires.

## References
Tip 5 of the training tips (use a neutral class).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import CATEGORICAL_MAX_DISTINCT, at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, TrainFacts


def conflicting_labels(data: DataFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    if len(data.inputs) != 1 or not data.input_hashes or not data.target_hashes:
        return
    stats = data.inputs[0]
    if stats.integer_valued and (stats.max or 0) <= CATEGORICAL_MAX_DISTINCT:
        return
    labels_by_input: dict[int, set[int]] = {}
    for x_hash, y_hash in zip(data.input_hashes, data.target_hashes, strict=True):
        labels_by_input.setdefault(x_hash, set()).add(y_hash)
    conflicting_inputs = {h for h, labels in labels_by_input.items() if len(labels) > 1}
    samples = sum(1 for h in data.input_hashes if h in conflicting_inputs)
    if samples / len(data.input_hashes) < options["conflict-share"]:
        return
    yield at_site(
        train.site,
        f"{samples:,} of {len(data.input_hashes):,} sampled training inputs "
        f"({samples / len(data.input_hashes):.1%}) occur more than once with different "
        f"labels ({len(conflicting_inputs):,} distinct inputs)",
        "deduplicate with one agreed label per input, or add a neutral class",
        conflicting_samples=samples,
        conflicting_inputs=len(conflicting_inputs),
    )


RULE = rule(
    code="D104",
    name="conflicting-labels",
    severity=Severity.WARNING,
    summary="Identical inputs with different labels",
    tip=5,
    options={"conflict-share": 0.01},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        conflicting_labels,
        stand_in(conflicting_labels, train=data_file_training),
    ),
)
