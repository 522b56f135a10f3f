"""
## What it does
In a custom training loop (a `GradientTape` step that calls `optimizer.apply` or
`apply_gradients`), looks at the model's last call before the step: when it did not pass
`training=` and the model has layers that train differently from how they predict
(`Dropout` and its variants, `GaussianNoise`, `BatchNormalization`), it fires. An
explicit `training=False` is taken as deliberate and left alone.

## Why is this bad?
Outside `fit()`, Keras 3 runs a model called without `training=` in inference mode:
Dropout never drops, so it does not regularize, and BatchNormalization normalizes with its
moving statistics, which it then never updates, so the statistics used at prediction time
stay at their initial values. The loop trains, and the model generalizes worse than it
should, or predicts garbage after training.

## Example
```python
with tf.GradientTape() as tape:
    logits = model(x_batch)
    loss = loss_fn(y_batch, logits)
```

## Use instead
```python
with tf.GradientTape() as tape:
    logits = model(x_batch, training=True)
    loss = loss_fn(y_batch, logits)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, listed

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

# Layers whose call() depends on training: what a forgotten training=True switches off.
TRAINING_DEPENDENT = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "BatchNormalization",
}


def custom_loop_inference_mode(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    if train.entry != "custom_loop" or train.loop_training != "missing":
        return
    layers = [layer for layer in model.layers if layer.kind in TRAINING_DEPENDENT]
    if not layers:
        return
    shown = listed([f"{layer.kind} '{layer.name}'" for layer in layers])
    yield at_site(
        train.loop_call_site or train.site,
        f"the custom training loop calls the model without training=True: {shown} run "
        "in inference mode (Dropout never drops; BatchNormalization uses and never updates "
        "its moving statistics)",
        "model(x, training=True) in the training step (training=False when evaluating)",
        layers=[layer.name for layer in layers],
    )


RULE = rule(
    code="T113",
    name="custom-loop-inference-mode",
    severity=Severity.WARNING,
    summary="A custom training loop calls the model without training=True",
    tip=14,
    doc=__doc__,
    implementations=(custom_loop_inference_mode,),
)
