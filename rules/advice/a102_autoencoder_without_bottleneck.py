"""
## What it does
Recognises a dense autoencoder (the targets fit() receives are its inputs, sample for
sample, and every layer with weights is a `Dense`) and fires when no hidden layer is
narrower than the input: the narrowest hidden `Dense` has at least as many units as the
input has values. It stays quiet when the model adds noise or dropout (a denoising
autoencoder), when a layer has an `activity_regularizer` (a sparse one), and for
convolutional models, whose structure constrains them in other ways.

## Why is this bad?
An autoencoder learns a representation only because it must squeeze its input through a
narrow layer. With a layer as wide as the input and nothing else in the way, the easiest
solution is to copy the input: the reconstruction loss falls, and the codes are worthless
for the pre-training, compression or anomaly detection they were meant for.

## Example
```python
autoencoder = keras.Sequential([
    keras.Input((784,)),
    layers.Dense(1024, activation="relu"),   # wider than the 784 inputs
    layers.Dense(784, activation="sigmoid"),
])
autoencoder.fit(x, x, epochs=50)
```

## Use instead
```python
autoencoder = keras.Sequential([
    keras.Input((784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(32, activation="relu"),     # the code: 32 values for 784
    layers.Dense(128, activation="relu"),
    layers.Dense(784, activation="sigmoid"),
])
```
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_layer, hidden_user_layers

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

NOISE_LAYERS = {"GaussianNoise", "GaussianDropout", "Dropout", "AlphaDropout"}
# layers without weights that may sit in a dense autoencoder
SHAPING_LAYERS = {"InputLayer", "Flatten", "Reshape", "Activation", "Rescaling"}


def autoencoder_without_bottleneck(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    if train.entry != "fit" or len(data.inputs) != 1 or len(data.targets) != 1:
        return
    if not data.input_hashes or data.input_hashes != data.target_hashes:
        return  # not an autoencoder (or a denoising one: its inputs are not its targets)
    kinds = {layer.kind for layer in model.layers}
    if not kinds <= {"Dense"} | SHAPING_LAYERS or "Dense" not in kinds:
        return
    if kinds & NOISE_LAYERS or any(layer.activity_regularized for layer in model.layers):
        return
    hidden = [layer for layer in hidden_user_layers(model) if layer.kind == "Dense"]
    if not hidden or any(layer.width is None for layer in hidden):
        return
    values = math.prod(data.inputs[0].shape)
    narrowest = min(hidden, key=lambda layer: layer.width or 0)
    width = narrowest.width or 0
    if width < values:
        return
    code = max(8, values // 64 * 8)  # about an eighth, a multiple of 8 (Tensor Cores)
    yield at_layer(
        narrowest,
        f"the autoencoder's narrowest hidden layer '{narrowest.name}' has {width:,} units "
        f"for inputs of {values:,} values: nothing makes it compress, and copying the input "
        "is the easiest way to reconstruct it",
        f"a code layer far narrower than {values:,} values (e.g. Dense({code})); "
        "or make it denoising (layers.GaussianNoise before the encoder) or sparse "
        "(activity_regularizer=keras.regularizers.L1(1e-5))",
        width=width,
        values=values,
    )


RULE = rule(
    code="A102",
    name="autoencoder-without-bottleneck",
    severity=Severity.WARNING,
    summary="A dense autoencoder has no layer narrower than its input: it can learn to copy it",
    tip=10,
    doc=__doc__,
    implementations=(autoencoder_without_bottleneck,),
)
