"""
## What it does
Flags a hidden `Dense` or convolution layer (one that is not a model output) with a
softmax activation, and a chain of more than 3 hidden sigmoid/tanh layers (more than 2
with plain SGD), each feeding the next, with no normalization or residual connection in
between. A subclassed model's layer graph is not visible: none of its layers is called
hidden.

## Why is this bad?
Softmax squeezes a layer's outputs into a distribution that sums to one: the next layer
sees tiny values whose gradients vanish as they saturate, and most units are pushed to
zero. It belongs on the output of a single-label classifier (attention uses it on
scores, through dedicated layers). Sigmoid and tanh derivatives are at most 0.25 and 1
and shrink as units saturate: through a deep stack the gradient of the first layers
vanishes (the probe X105 measures it where it runs).

## Options
`max-saturating-depth` (3): the longest sigmoid/tanh chain that does not fire.
`max-saturating-depth-sgd` (2): the same with plain SGD, which has no per-weight step
size to make up for the shrinking gradients (Adam and RMSprop do, in part).

## Example
```python
layers.Dense(64, activation="softmax"),
layers.Dense(10, activation="softmax"),
```

## Use instead
```python
layers.Dense(64, activation="relu"),
layers.Dense(10, activation="softmax"),
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    SATURATING,
    at,
    at_layer,
    hidden_user_layers,
    output_layer_names,
    sequential_pairs,
    static_activation,
    static_kind,
)

if TYPE_CHECKING:
    from nncheck.facts.live import LayerFacts, ModelFacts


def hidden_softmax(model: ModelFacts, options: dict) -> Iterator[Violation]:
    for layer in hidden_user_layers(model):
        if layer.activation == "softmax" and layer.width is not None:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' is a hidden layer with a softmax activation: its "
                "outputs are squeezed to sum to one and their gradients vanish",
                "activation='relu' on hidden layers; softmax only on the output",
            )
    chain = _longest_saturating_chain(model)
    sgd = model.optimizer == "SGD"  # no per-weight step size to make up for small gradients
    depth = options["max-saturating-depth-sgd" if sgd else "max-saturating-depth"]
    if len(chain) >= depth + 1:
        yield at_layer(
            chain[0],
            f"{len(chain)} stacked layers with sigmoid/tanh activations from '{chain[0].name}' to "
            f"'{chain[-1].name}', with no normalization or residual path: their gradients "
            "shrink with every layer (vanishing gradients)"
            + (", and plain SGD scales every step by them" if sgd else ""),
            "activation='relu' (with he_normal) in hidden layers, or BatchNormalization between",
            depth=len(chain),
        )


def _longest_saturating_chain(model: ModelFacts) -> list[LayerFacts]:
    """The longest path of hidden sigmoid/tanh layers, each feeding the next directly."""
    by_name = {layer.name: layer for layer in model.layers}
    outputs = output_layer_names(model)
    best: list[LayerFacts] = []
    chains: dict[str, list[LayerFacts]] = {}
    for layer in model.layers:
        passthrough = layer.kind in {"Dropout", "Flatten", "Reshape"}
        saturating = (
            layer.width is not None and layer.activation in SATURATING and layer.name not in outputs
        )
        previous = by_name.get(layer.inputs[0]) if len(layer.inputs) == 1 else None
        inherited = chains.get(previous.name, []) if previous is not None else []
        if saturating:
            chains[layer.name] = [*inherited, layer]
        elif passthrough:
            chains[layer.name] = inherited
        if len(chains.get(layer.name, [])) > len(best):
            best = chains[layer.name]
    return best


def hidden_softmax_static(source: SourceFacts, options: dict) -> Iterator[Violation]:
    for layer, _, output in sequential_pairs(source):
        hidden_dense = not output and static_kind(layer) == "Dense"
        if hidden_dense and static_activation(source, layer) == "softmax":
            yield at(
                layer,
                "a hidden Dense layer has a softmax activation: its outputs are squeezed "
                "to sum to one and their gradients vanish",
                "activation='relu' on hidden layers; softmax only on the output",
            )


RULE = rule(
    code="M402",
    name="hidden-softmax",
    severity=Severity.WARNING,
    summary="Softmax in a hidden layer, or a deep stack of sigmoid/tanh layers",
    options={"max-saturating-depth": 3, "max-saturating-depth-sgd": 2},
    doc=__doc__,
    implementations=(
        hidden_softmax,
        hidden_softmax_static,
    ),
)
