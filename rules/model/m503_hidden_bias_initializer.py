"""
## What it does
Flags hidden `Dense` and convolution layers whose `bias_initializer` is not zeros (the
output layer's bias is M201's business).

## Why is this bad?
Random or constant biases shift every unit away from the regime the kernel
initialization was designed for; a large negative constant with ReLU creates dead units
from the first step. Zero is the standard start; it is info because a small positive
bias with ReLU is a deliberate choice in some designs.

## Example
```python
layers.Dense(64, activation="relu", bias_initializer="random_normal")
```

## Use instead
```python
layers.Dense(64, activation="relu")  # bias_initializer="zeros"
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_layer, hidden_user_layers

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def hidden_bias_initializer(model: ModelFacts) -> Iterator[Violation]:
    for layer in hidden_user_layers(model):
        if layer.width is None or not layer.use_bias:
            continue
        if layer.kind in {"LSTM", "GRU", "SimpleRNN", "Embedding"}:
            continue
        if layer.bias_initializer not in (None, "Zeros"):
            yield at_layer(
                layer,
                f"hidden {layer.kind} '{layer.name}' starts its bias with "
                f"{layer.bias_initializer}, not zeros",
                "bias_initializer='zeros' (the default)",
                initializer=layer.bias_initializer,
            )


RULE = rule(
    code="M503",
    name="hidden-bias-initializer",
    severity=Severity.INFO,
    summary="A hidden layer's bias does not start at zero",
    doc=__doc__,
    implementations=(hidden_bias_initializer,),
)
