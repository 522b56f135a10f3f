"""
## What it does
Counts NaN and Inf values in every input and target of the captured sample.

## Why is this bad?
One NaN in a batch makes that batch's loss NaN, and its gradients turn every weight into
NaN: the run is lost from that step on, often hours in, when the first bad row comes up.

## Example
```python
x = df[features].to_numpy()  # a column with missing values
model.fit(x, y)
```

## Use instead
```python
x = df[features].fillna(df[features].median()).to_numpy()
```
or drop the rows, or add a missing-value indicator feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, TrainFacts


def non_finite_data(data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    parts = [(s.name, s.nan, s.inf) for s in [*data.inputs, *data.targets] if s.nan or s.inf]
    if not parts:
        return
    described = "; ".join(f"{name}: {nan:,} NaN, {inf:,} Inf" for name, nan, inf in parts)
    scope = "sample" if data.truncated and not data.rows else "data"
    yield at_site(
        train.site,
        f"the training {scope} ({data.rows or data.samples:,} samples) holds non-finite values "
        f"({described}): the first batch with one turns every weight into NaN",
        "impute or drop them before training, e.g. np.nan_to_num / DataFrame.fillna",
        non_finite={name: [nan, inf] for name, nan, inf in parts},
    )


RULE = rule(
    code="D105",
    name="non-finite-data",
    severity=Severity.ERROR,
    summary="NaN or Inf values in the training data",
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        non_finite_data,
        stand_in(non_finite_data, train=data_file_training),
    ),
)
