"""
## What it does
Flags tabular input features that hold one value across the sample, and targets that do.
Integer inputs of a model with an Embedding (anywhere, custom layers included) are token
ids: a position that is padding in every sampled row is left alone.

## Why is this bad?
A constant feature carries no information and only costs parameters (often the sign of
a broken join or a column filled with a default). Constant targets leave nothing to
learn: the model converges to that value in a few steps and every metric looks perfect.

## Example
```python
df["country"] = "FR"  # after filtering to one country
```

## Use instead
Drop constant columns before training; check the label pipeline when targets are
constant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, fmt_number, no_model, token_ids

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def constant_data(model: ModelFacts, data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    for stats in data.inputs:
        if token_ids(model, stats):
            continue  # padding positions of token sequences are constant by design
        constant = [f for f in stats.features if f.std == 0 and f.distinct == 1]
        if constant:
            shown = ", ".join(repr(f.name) if f.name else str(f.index) for f in constant[:8])
            yield at_site(
                train.site,
                f"{len(constant)} of {len(stats.features)} features of input '{stats.name}' are "
                f"constant on the sample (features {shown})",
                "drop the constant columns",
                features=[f.index for f in constant],
            )
    for target in data.targets:
        if target.std == 0 and data.samples > 1:
            yield at_site(
                train.site,
                f"the target '{target.name}' is constant ({fmt_number(target.min or 0)}) on "
                f"all {data.samples:,} sampled rows: there is nothing to learn",
                "check the label pipeline (a filter or a join that lost the labels)",
            )


RULE = rule(
    code="D206",
    name="constant-data",
    severity=Severity.WARNING,
    summary="Constant input features or constant targets",
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        constant_data,
        stand_in(constant_data, train=data_file_training),
        stand_in(constant_data, model=no_model, train=data_file_training),
    ),
)
