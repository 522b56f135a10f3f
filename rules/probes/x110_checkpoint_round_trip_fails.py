"""
## What it does
Saves a clone the way the script's ModelCheckpoint would (`.keras`, `.h5` or
`.weights.h5`; `.keras` when there is none), loads it back in the same process, and
compares the predictions on a few samples.

## Why is this bad?
A custom layer without `get_config`, or one Keras cannot find when loading, fails after
hours of training, when the best checkpoint is needed, not now.

## Example
```python
class Scale(keras.layers.Layer):
    def __init__(self, factor):  # no get_config, not registered
```

## Use instead
```python
@keras.saving.register_keras_serializable()
class Scale(keras.layers.Layer):
    def __init__(self, factor, **kwargs): ...
    def get_config(self): return {**super().get_config(), "factor": self.factor}
```
A `Lambda` layer holding a Python lambda is refused by `load_model`'s safe mode: give it
a named function registered with `@keras.saving.register_keras_serializable()`, or
write a small custom layer; load with `safe_mode=False` only files you trust.
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import ProbeFacts, TrainFacts
from nncheck.facts.probe_results import Checkpoint
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import DATA_FILE_TRAINING, at_site

LAMBDA_FIX = (
    "replace the lambda with a named function registered with "
    "@keras.saving.register_keras_serializable() (or a small custom layer); load with "
    "safe_mode=False only checkpoints you trust"
)


def checkpoint_round_trip_fails(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    result = probes.measured(Checkpoint)
    if result is None or result.ok:
        return
    yield at_site(
        train.site,
        f"a checkpoint of this model does not round-trip ({result.how}): {result.error}",
        LAMBDA_FIX
        if result.uses_lambda
        else "register custom layers with @keras.saving.register_keras_serializable() and give "
        "them get_config() returning every constructor argument",
    )


RULE = rule(
    code="X110",
    name="checkpoint-round-trip-fails",
    severity=Severity.ERROR,
    summary="The model cannot be saved and loaded back the way the script checkpoints it",
    tip=13,
    doc=__doc__,
    implementations=(
        checkpoint_round_trip_fails,
        stand_in(checkpoint_round_trip_fails, train=DATA_FILE_TRAINING),
    ),
)
