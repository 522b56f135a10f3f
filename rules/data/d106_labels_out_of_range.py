"""
## What it does
Compares the label values with the output: integer labels for a softmax output must lie
in 0..units-1, and labels for a sigmoid output in [0, 1].

## Why is this bad?
On a GPU, sparse categorical cross-entropy does not check its labels: an out-of-range
label gives a NaN or meaningless loss instead of an error. Labels 1..k instead of 0..k-1
(the classic off-by-one) also leave class 0 unused. A sigmoid cannot output 2.

## Example
```python
y = df["rating"]  # 1..5
outputs = layers.Dense(5, activation="softmax")(x)
```

## Use instead
```python
y = df["rating"] - 1  # 0..4
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, fmt_number, has_unknown_label, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def labels_out_of_range(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    target = single_target(data)
    if target is None or len(model.outputs) != 1 or target.min is None or target.max is None:
        return
    output = model.outputs[0]
    low, high = target.min, target.max
    if has_unknown_label(target):
        low = min(float(label) for label in target.classes if label != "-1")  # D103's case
    if target.kind == "sparse" and output.activation == "softmax" and output.units:
        if low < 0 or high > output.units - 1:
            yield at_site(
                train.site,
                f"labels range from {fmt_number(low)} to {fmt_number(high)}, but the softmax "
                f"output '{output.layer}' has {output.units} units (labels 0 to "
                f"{output.units - 1})",
                "relabel to 0..k-1 (e.g. y - y.min()), or give the output one unit per class",
                label_range=[low, high],
                units=output.units,
            )
    elif output.activation == "sigmoid" and target.kind != "continuous" and (low < 0 or high > 1):
        yield at_site(
            train.site,
            f"labels range from {fmt_number(low)} to {fmt_number(high)}, but the sigmoid output "
            f"'{output.layer}' only produces values in (0, 1)",
            "map the labels to 0/1, or use softmax with one unit per class",
            label_range=[low, high],
        )


RULE = rule(
    code="D106",
    name="labels-out-of-range",
    severity=Severity.ERROR,
    summary="Labels the output layer cannot produce",
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(
        labels_out_of_range,
        stand_in(labels_out_of_range, train=data_file_training),
    ),
)
