"""
## What it does
Flags `Dropout` layers with a rate above 0.5, and `Dropout` whose output goes straight
into `BatchNormalization`.

## Why is this bad?
Keras' `rate` is the fraction *dropped*: 0.8 keeps one unit in five, which starves
training (the rate is often confused with a keep probability). Dropout before batch
normalization shifts the variance that BN learns between training and inference
("variance shift", Li et al. 2019), so the model behaves differently when deployed.

## Example
```python
layers.Dropout(0.8)
```

## Use instead
```python
layers.Dropout(0.2)  # and put dropout after the last BatchNormalization
```

## Options
`max-rate` (0.5): the highest rate that does not fire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    at,
    at_layer,
    consumers_of,
    fmt_number,
    is_number,
    sequential_pairs,
    static_kind,
    user_layers,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def dropout_misuse(model: ModelFacts, options: dict) -> Iterator[Violation]:
    consumers = consumers_of(model)
    for layer in user_layers(model):
        if layer.kind != "Dropout":
            continue
        if layer.rate is not None and layer.rate > options["max-rate"]:
            yield at_layer(
                layer,
                f"Dropout '{layer.name}' drops {layer.rate:.0%} of the units (Keras' rate is the "
                "fraction dropped, not kept)",
                f"rate={fmt_number(round(1 - layer.rate, 2))} if {layer.rate} was meant to be kept",
                rate=layer.rate,
            )
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "BatchNormalization" for c in following):
            yield at_layer(
                layer,
                f"Dropout '{layer.name}' feeds BatchNormalization '{following[0].name}': the "
                "statistics BN learns with dropout differ from those at inference",
                "move the Dropout after the last BatchNormalization",
            )


def dropout_misuse_static(source: SourceFacts, options: dict) -> Iterator[Violation]:
    for call in source.calls_to("keras.layers.Dropout", "keras.layers.SpatialDropout2D"):
        rate = call.arg("rate", 0)
        if is_number(rate) and rate > options["max-rate"]:
            yield at(
                call,
                f"Dropout drops {rate:.0%} of the units (Keras' rate is the fraction dropped, "
                "not kept)",
                f"rate={fmt_number(round(1 - rate, 2))} if {rate} was meant to be kept",
                rate=rate,
            )
    for layer, following, _ in sequential_pairs(source):
        if static_kind(layer) == "Dropout" and static_kind(following) == "BatchNormalization":
            yield at(
                layer,
                "Dropout feeds BatchNormalization: the statistics BN learns with dropout differ "
                "from those at inference",
                "move the Dropout after the last BatchNormalization",
            )


RULE = rule(
    code="M405",
    name="dropout-misuse",
    severity=Severity.WARNING,
    summary="Dropout rate above 0.5, or Dropout right before BatchNormalization",
    options={"max-rate": 0.5},
    doc=__doc__,
    implementations=(
        dropout_misuse,
        dropout_misuse_static,
    ),
)
