"""
## What it does
Saves a clone the way the script's ModelCheckpoint would (`.keras`, `.h5` or
`.weights.h5`; `.keras` when there is none), loads it back in the same process, and
compares the predictions on a few samples. An error when the script saves its model (a
`ModelCheckpoint`, `model.save`, `keras.saving.save_model`, `export`); a script that
never saves gets X113 (info) instead. The fix depends on the cause: a Python lambda, a
constructor argument Keras cannot serialize (no `get_config`), a class `load_model`
cannot find (not registered).

In PyTorch, a script that saves the whole module (`torch.save(model, path)`) gets the same
round trip in memory: a module holding a lambda, a local class or an open resource cannot
be pickled, and the save raises when training is over. Saving the `state_dict` is left
alone.

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
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Checkpoint
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    data_file_training,
    no_source,
    round_trip_fix,
    saves_the_model,
    saves_torch_module,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def checkpoint_round_trip_fails(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    result = probes.measured(Checkpoint)
    if result is None or result.ok:
        return
    if probes.backend == "pytorch":
        if not saves_torch_module(source):
            return
        fix = (
            "torch.save(model.state_dict(), path), and load it into a model built by its "
            "class: model.load_state_dict(torch.load(path))"
        )
    elif saves_the_model(train, source):
        fix = round_trip_fix(result)
    else:
        return
    yield at_site(
        train.site,
        f"a checkpoint of this model does not round-trip ({result.how}): {result.error}",
        fix,
    )


RULE = rule(
    code="X110",
    name="checkpoint-round-trip-fails",
    severity=Severity.ERROR,
    summary="The model cannot be saved and loaded back the way the script checkpoints it",
    tip=13,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        checkpoint_round_trip_fails,
        stand_in(checkpoint_round_trip_fails, train=data_file_training, source=no_source),
    ),
)
