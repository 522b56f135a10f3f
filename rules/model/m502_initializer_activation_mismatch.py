"""
## What it does
Advice on two mismatches: He initialization on sigmoid/tanh layers, and a deep stack (8
or more) of ReLU-family layers all initialized with Glorot (Keras' default).

## Why is this bad?
He initialization doubles the variance to make up for ReLU zeroing half of its inputs;
on tanh/sigmoid it pushes units into saturation from the start. Glorot keeps the
variance for symmetric activations but halves it at every ReLU layer: in deep ReLU
stacks the signal and the gradients shrink layer by layer (He et al. 2015). Shallow
networks train either way, hence info, and only deep stacks are flagged.

## Example
```python
layers.Dense(64, activation="tanh", kernel_initializer="he_normal")
```

## Use instead
```python
layers.Dense(64, activation="tanh")  # glorot_uniform
layers.Dense(64, activation="relu", kernel_initializer="he_normal")
```

## Options
`min-relu-depth` (8): the depth of an all-Glorot ReLU stack from which it fires.

## References
He et al., "Delving Deep into Rectifiers" (2015); Glorot & Bengio (2010).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import SATURATING, at, at_layer, user_layers

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts

HE = {"HeNormal", "HeUniform"}


GLOROT = {"GlorotNormal", "GlorotUniform"}


RELU_FAMILY = {"relu", "leaky_relu", "elu", "selu", "relu6"}


def initializer_activation_mismatch(model: ModelFacts, options: dict) -> Iterator[Violation]:
    for layer in user_layers(model):
        if layer.activation in SATURATING and layer.kernel_initializer in HE:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' uses {layer.kernel_initializer} with "
                f"{layer.activation}: He initialization is scaled for ReLU and saturates "
                f"{layer.activation} units from the start",
                "kernel_initializer='glorot_uniform' (the default)",
            )
    relu_glorot = [
        layer
        for layer in user_layers(model)
        if layer.width is not None
        and layer.activation in RELU_FAMILY
        and layer.kernel_initializer in GLOROT
    ]
    if len(relu_glorot) >= options["min-relu-depth"]:
        yield at_layer(
            relu_glorot[0],
            f"{len(relu_glorot)} ReLU-family layers use Glorot initialization: it halves the "
            "variance at every ReLU, so deep stacks start with vanishing signals",
            "kernel_initializer='he_normal' on the ReLU layers",
            depth=len(relu_glorot),
        )


def initializer_activation_mismatch_static(source: SourceFacts) -> Iterator[Violation]:
    for layer in source.layers:
        initializer = layer.call.arg("kernel_initializer")
        he = isinstance(initializer, str) and initializer.lower() in {"he_normal", "he_uniform"}
        if layer.activation in SATURATING and he:
            yield at(
                layer.call,
                f"{initializer} with {layer.activation}: He initialization is scaled for "
                f"ReLU and saturates {layer.activation} units from the start",
                "kernel_initializer='glorot_uniform' (the default)",
            )


RULE = rule(
    code="M502",
    name="initializer-activation-mismatch",
    severity=Severity.INFO,
    summary="The kernel initializer does not suit the activation",
    options={"min-relu-depth": 8},
    doc=__doc__,
    implementations=(
        initializer_activation_mismatch,
        initializer_activation_mismatch_static,
    ),
)
