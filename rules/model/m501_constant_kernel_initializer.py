"""
## What it does
Flags layers whose `kernel_initializer` is `zeros`, `ones` or a `Constant`.

## Why is this bad?
Units that start with identical weights receive identical gradients and stay identical:
a layer of 128 units behaves like one unit. With zeros the gradients of earlier layers
are zero as well, and nothing trains at all.

## Example
```python
layers.Dense(64, activation="relu", kernel_initializer="zeros")
```

## Use instead
```python
layers.Dense(64, activation="relu", kernel_initializer="he_normal")
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_layer, static_kind, user_layers

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts

CONSTANT_INITIALIZERS = {"Zeros", "Ones", "Constant"}


def constant_kernel_initializer(model: ModelFacts) -> Iterator[Violation]:
    for layer in user_layers(model):
        if layer.kernel_initializer in CONSTANT_INITIALIZERS:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' starts with {layer.kernel_initializer} weights: "
                "its units receive identical gradients and never differ",
                "kernel_initializer='he_normal' (ReLU family) or 'glorot_uniform'",
                initializer=layer.kernel_initializer,
            )


CONSTANT_INITIALIZER_NAMES = {"zeros", "zero", "ones", "one"}


def constant_kernel_initializer_static(source: SourceFacts) -> Iterator[Violation]:
    for call in source.calls:
        if not (call.qualname or "").startswith("keras.layers."):
            continue
        initializer = call.arg("kernel_initializer")
        name = None
        if isinstance(initializer, str) and initializer.lower() in CONSTANT_INITIALIZER_NAMES:
            name = initializer
        elif (
            isinstance(initializer, CallSite) and static_kind(initializer) in CONSTANT_INITIALIZERS
        ):
            name = static_kind(initializer)
        if name:
            yield at(
                call,
                f"this layer starts with {name} weights: its units receive identical gradients "
                "and never differ",
                "kernel_initializer='he_normal' (ReLU family) or 'glorot_uniform'",
                initializer=name,
            )


RULE = rule(
    code="M501",
    name="constant-kernel-initializer",
    severity=Severity.ERROR,
    summary="Weights initialized to a constant",
    doc=__doc__,
    implementations=(
        constant_kernel_initializer,
        constant_kernel_initializer_static,
    ),
)
