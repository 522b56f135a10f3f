"""
## What it does
Flags a `Dense` layer without an activation whose output feeds only another `Dense`
layer (no activation, normalization or dropout in between).

## Why is this bad?
Two linear maps in a row are one linear map: the pair has the expressive power of a
single layer, with more parameters and a harder optimisation. An activation was
usually forgotten.

## Example
```python
layers.Dense(64),
layers.Dense(64, activation="relu"),
```

## Use instead
```python
layers.Dense(64, activation="relu"),
layers.Dense(64, activation="relu"),
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    LINEAR,
    at,
    at_layer,
    consumers_of,
    hidden_user_layers,
    sequential_pairs,
    static_activation,
    static_kind,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def collapsing_linear_layers(model: ModelFacts) -> Iterator[Violation]:
    consumers = consumers_of(model)
    for layer in hidden_user_layers(model):
        if layer.kind != "Dense" or layer.activation not in LINEAR:
            continue
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "Dense" for c in following):
            yield at_layer(
                layer,
                f"Dense '{layer.name}' has no activation and feeds straight into Dense "
                f"'{following[0].name}': the two collapse into one linear layer",
                "activation='relu' (or another non-linearity) on the first layer",
            )


def collapsing_linear_layers_static(source: SourceFacts) -> Iterator[Violation]:
    for layer, following, output in sequential_pairs(source):
        if output or static_kind(layer) != "Dense" or static_kind(following) != "Dense":
            continue
        if static_activation(source, layer) == "linear":
            yield at(
                layer,
                "Dense without an activation feeds straight into another Dense: the two "
                "collapse into one linear layer",
                "activation='relu' (or another non-linearity) on the first layer",
            )


RULE = rule(
    code="M401",
    name="collapsing-linear-layers",
    severity=Severity.WARNING,
    summary="Consecutive linear layers collapse into one",
    doc=__doc__,
    implementations=(
        collapsing_linear_layers,
        collapsing_linear_layers_static,
    ),
)
