"""
## What it does
Flags an `Activation` (or `ReLU`, `Softmax`, ...) layer whose input comes from a layer
that already applies a non-linear activation.

## Why is this bad?
`relu(relu(x))` is merely redundant, but `softmax(softmax(x))` flattens the
distribution and `sigmoid(sigmoid(x))` squeezes the output into (0.5, 0.73): the model
cannot reach its targets, and the loss plateaus without an error.

## Example
```python
layers.Dense(10, activation="softmax"),
layers.Activation("softmax"),
```

## Use instead
```python
layers.Dense(10),
layers.Activation("softmax"),
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import UNKNOWN
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    LINEAR,
    at,
    at_layer,
    sequential_pairs,
    static_activation,
    static_kind,
    user_layers,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def double_activation(model: ModelFacts) -> Iterator[Violation]:
    by_name = {layer.name: layer for layer in model.layers}
    for layer in user_layers(model):
        if layer.kind not in api.ACTIVATION_KINDS:
            continue
        if len(layer.inputs) != 1 or layer.inputs[0] not in by_name:
            continue
        previous = by_name[layer.inputs[0]]
        if previous.width is not None and previous.activation not in LINEAR:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' applies {layer.activation} to the output of "
                f"'{previous.name}', which already applies {previous.activation}",
                f"remove activation='{previous.activation}' from '{previous.name}', or this layer",
            )


def double_activation_static(source: SourceFacts) -> Iterator[Violation]:
    for layer, following, _ in sequential_pairs(source):
        if static_kind(following) not in api.ACTIVATION_KINDS:
            continue
        first = static_activation(source, layer)
        if static_kind(layer) in api.ACTIVATION_KINDS or first in (UNKNOWN, "linear"):
            continue
        second = static_activation(source, following)
        yield at(
            following,
            f"an activation layer ({second}) follows a layer that already applies {first}",
            f"remove activation='{first}' from the layer before, or this layer",
        )


RULE = rule(
    code="M403",
    name="double-activation",
    severity=Severity.WARNING,
    summary="An activation applied twice",
    doc=__doc__,
    implementations=(
        double_activation,
        double_activation_static,
    ),
)
