"""
## What it does
Looks at each tabular input feature as it reaches the model and flags features with
values beyond +-10 that are either spread widely (a standard deviation above 1) or far
from zero for their spread (a mean more than 10 standard deviations from zero, such as
integer measurements from 65 to 70), when no layer (Normalization, Rescaling, a lookup or
any other preprocessing) stands between the input and the first weighted layer. Whole
numbers counted from 0 or 1 without gaps, at most 20 of them, are categorical codes
(D203's); integer inputs of a model with an Embedding are token ids, not features.

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

In PyTorch the check reads what the first `nn.Linear` is given on the first step's batch,
after whatever the Dataset, the loop and `forward()` did; a `BatchNorm1d` first is
normalisation enough.

## Options
`max-magnitude` (10): the largest absolute feature value that counts as scaled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    CATEGORICAL_MAX_DISTINCT,
    at_site,
    data_file_training,
    fmt_number,
    listed,
    no_model,
    tabular_inputs,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, FeatureStats, ModelFacts, TrainFacts

UNCENTERED_RATIO = 10  # |mean| above this many standard deviations: not centered


def _feature_name(feature: FeatureStats) -> str:
    return repr(feature.name) if feature.name else f"feature {feature.index}"


def _looks_like_codes(feature: FeatureStats) -> bool:
    """Few whole numbers counted from 0 or 1 without gaps: categorical codes (D203's)."""
    return (
        feature.integer
        and feature.distinct <= CATEGORICAL_MAX_DISTINCT
        and feature.min in (0, 1)
        and feature.max - feature.min + 1 == feature.distinct
    )


def _unscaled(feature: FeatureStats, max_magnitude: float) -> bool:
    """Far outside [-1, 1] and either widely spread or far from zero for its spread (an
    integer measurement such as 65-70 is un-centered even with few distinct values)."""
    if feature.std == 0 or max(abs(feature.min), abs(feature.max)) <= max_magnitude:
        return False  # constant (D206's) or already small
    if _looks_like_codes(feature):
        return False
    return feature.std > 1 or abs(feature.mean) > UNCENTERED_RATIO * feature.std


def unscaled_numeric_features(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if model.framework == "pytorch":
        yield from _unscaled_first_layer_input(model, train, options)
        return
    for stats in tabular_inputs(model, data):
        offenders = [f for f in stats.features if _unscaled(f, options["max-magnitude"])]
        if not offenders:
            continue
        yield at_site(
            train.site,
            f"{len(offenders)} of {len(stats.features)} features of input '{stats.name}' reach "
            f"the model unscaled: {_shown(offenders)}",
            "norm = keras.layers.Normalization(); norm.adapt(x_train)  # first layer: norm",
            features=[f.index for f in offenders],
        )


def _shown(offenders: list[FeatureStats]) -> str:
    return listed(
        [
            f"{_feature_name(f)} (mean {fmt_number(round(f.mean, 1))}, std "
            f"{fmt_number(round(f.std, 1))}, range {fmt_number(round(f.min, 2))} to "
            f"{fmt_number(round(f.max, 2))})"
            for f in offenders
        ]
    )


def _unscaled_first_layer_input(
    model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """PyTorch: the features the first Linear layer was given on the first step's batch."""
    stats = model.first_layer_input
    if stats is None or not stats.features:
        return
    offenders = [f for f in stats.features if _unscaled(f, options["max-magnitude"])]
    if not offenders:
        return
    first = model.layers[0] if model.layers else None
    where = f"layer '{first.name}' ({first.kind})" if first else "the first layer"
    yield at_site(
        train.site,
        f"{len(offenders)} of {len(stats.features)} features reach {where} unscaled on the "
        f"first batch: {_shown(offenders)}",
        "standardise each feature with the training split's mean and std (in the Dataset, "
        "or sklearn's StandardScaler fitted on the training split)",
        features=[f.index for f in offenders],
    )


RULE = rule(
    code="D201",
    name="unscaled-numeric-features",
    severity=Severity.WARNING,
    summary="Numeric input features far outside [-1, 1]",
    tip=21,
    options={"max-magnitude": 10.0},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        unscaled_numeric_features,
        stand_in(unscaled_numeric_features, train=data_file_training),
        stand_in(unscaled_numeric_features, model=no_model, train=data_file_training),
    ),
)
