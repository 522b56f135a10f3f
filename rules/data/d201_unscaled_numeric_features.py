"""
## What it does
Looks at each tabular input feature as it reaches the model and flags features with
values beyond +-10 and a standard deviation above 1, when no layer (Normalization,
Rescaling, a lookup or any other preprocessing) stands between the input and the first
weighted layer. Integer features with at most 20 distinct values are left to D203
(categorical codes); integer inputs that feed an Embedding are token ids, not features.

## Why is this bad?
Weights are initialised for inputs of unit scale. A feature in the hundreds dominates the
first layer's activations and gradients, saturates activations, and forces a tiny
learning rate on every other feature: training is slow and unstable.

## Example
```python
x = df[["age", "income", "visits"]].to_numpy()  # income ~ 50,000
model.fit(x, y)
```

## Use instead
```python
norm = keras.layers.Normalization()
norm.adapt(x_train)
model = keras.Sequential([keras.Input((3,)), norm, ...])
```
or scale with scikit-learn's StandardScaler fitted on the training split.

## Options
`max-magnitude` (10): the largest absolute feature value that counts as scaled.
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import DataFacts, FeatureStats, ModelFacts, TrainFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    CATEGORICAL_MAX_DISTINCT,
    DATA_FILE_TRAINING,
    NO_MODEL,
    at_site,
    fmt_number,
    tabular_inputs,
)


def _feature_name(feature: FeatureStats) -> str:
    return repr(feature.name) if feature.name else f"feature {feature.index}"


def unscaled_numeric_features(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    for stats in tabular_inputs(model, data):
        offenders = [
            f
            for f in stats.features
            if max(abs(f.min), abs(f.max)) > options["max-magnitude"]
            and f.std > 1
            and not (f.integer and f.distinct <= CATEGORICAL_MAX_DISTINCT)
        ]
        if not offenders:
            continue
        shown = ", ".join(
            f"{_feature_name(f)} (mean {fmt_number(round(f.mean, 1))}, std "
            f"{fmt_number(round(f.std, 1))}, range {fmt_number(round(f.min, 2))} to "
            f"{fmt_number(round(f.max, 2))})"
            for f in offenders[:3]
        )
        more = f" and {len(offenders) - 3} more" if len(offenders) > 3 else ""
        yield at_site(
            train.site,
            f"{len(offenders)} of {len(stats.features)} features of input '{stats.name}' reach "
            f"the model unscaled: {shown}{more}",
            "norm = keras.layers.Normalization(); norm.adapt(x_train)  # first layer: norm",
            features=[f.index for f in offenders],
        )


RULE = rule(
    code="D201",
    name="unscaled-numeric-features",
    severity=Severity.WARNING,
    summary="Numeric input features far outside [-1, 1]",
    tip=21,
    options={"max-magnitude": 10.0},
    doc=__doc__,
    implementations=(
        unscaled_numeric_features,
        stand_in(unscaled_numeric_features, train=DATA_FILE_TRAINING),
        stand_in(unscaled_numeric_features, model=NO_MODEL, train=DATA_FILE_TRAINING),
    ),
)
