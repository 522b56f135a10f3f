"""
## What it does
Flags a `Dense` or convolution layer with a bias whose output goes only into
`BatchNormalization`.

## Why is this bad?
Batch normalization subtracts the batch mean, which removes any constant bias: the
bias parameters are trained for nothing (BN's own `beta` plays their role). Harmless
to accuracy, hence info, but wasted parameters and computation.

## Example
```python
layers.Conv2D(64, 3),
layers.BatchNormalization(),
```

## Use instead
```python
layers.Conv2D(64, 3, use_bias=False),
layers.BatchNormalization(),
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_layer, consumers_of, sequential_pairs, static_kind, user_layers

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def bias_before_batchnorm(model: ModelFacts) -> Iterator[Violation]:
    consumers = consumers_of(model)
    for layer in user_layers(model):
        if layer.width is None or not layer.use_bias:
            continue
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "BatchNormalization" for c in following):
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' has a bias, but BatchNormalization "
                f"'{following[0].name}' right after it subtracts the mean: the bias is wasted",
                "use_bias=False",
            )


def bias_before_batchnorm_static(source: SourceFacts) -> Iterator[Violation]:
    widths = {*api.DENSE_LAYERS, *api.CONV_LAYERS}
    for layer, following, _ in sequential_pairs(source):
        if layer.qualname not in widths or static_kind(following) != "BatchNormalization":
            continue
        if source.call_arg(layer, "use_bias") in (MISSING, True):
            yield at(
                layer,
                "this layer has a bias, but the BatchNormalization right after it subtracts the "
                "mean: the bias is wasted",
                "use_bias=False",
            )


RULE = rule(
    code="M406",
    name="bias-before-batchnorm",
    severity=Severity.INFO,
    summary="A bias right before BatchNormalization",
    doc=__doc__,
    implementations=(
        bias_before_batchnorm,
        bias_before_batchnorm_static,
    ),
)
