"""
## What it does
Counts the tabular input columns that hold only 0 and 1 and are mostly 0 (at most 5%
ones); 100 or more of them usually are a high-cardinality categorical feature (a user
id, a product, a zip code) one-hot encoded.

## Why is this bad?
A one-hot block makes the first layer's weight matrix as wide as the vocabulary, learns
nothing shared between similar categories, and grows with every new category. An
`Embedding` on the integer ids is a fraction of the size and learns which categories
behave alike.

## Example
```python
x = pd.get_dummies(df, columns=["zip_code"])  # 3,000 columns
```

## Use instead
```python
zip_id = keras.Input((1,), dtype="int32")
zip_vec = layers.Flatten()(layers.Embedding(n_zip_codes, 16)(zip_id))
```

## Options
`min-columns` (100) sparse 0/1 columns, each with at most `max-density` (0.05) ones.

## References
Tip 12 of the training tips (embeddings to shrink data).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def high_cardinality_one_hot(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    for stats in data.inputs:
        sparse = [
            f
            for f in stats.features
            if f.integer and f.min == 0 and f.max == 1 and f.mean <= options["max-density"]
        ]
        if len(sparse) < options["min-columns"]:
            continue
        density = sum(f.mean for f in sparse) / len(sparse)
        yield at_site(
            train.site,
            f"input '{stats.name}' has {len(sparse)} sparse 0/1 columns ({density:.2%} ones "
            "on average): a high-cardinality feature one-hot encoded",
            "feed the integer category ids to layers.Embedding(n_categories, 16) instead",
            columns=len(sparse),
        )


RULE = rule(
    code="D204",
    name="high-cardinality-one-hot",
    severity=Severity.INFO,
    summary="Many sparse 0/1 columns: a high-cardinality feature one-hot encoded",
    tip=12,
    options={"min-columns": 100, "max-density": 0.05},
    doc=__doc__,
    implementations=(
        high_cardinality_one_hot,
        stand_in(high_cardinality_one_hot, train=data_file_training),
    ),
)
