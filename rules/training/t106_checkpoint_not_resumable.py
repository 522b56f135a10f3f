"""
## What it does
Flags a long `fit()` whose only checkpoints are `ModelCheckpoint(save_weights_only=True)`,
with no `BackupAndRestore`.

## Why is this bad?
Weights alone do not resume training: the optimizer's state (Adam's moments), the epoch
counter and the learning-rate schedule are lost, so a run restarted after a crash
begins with a cold optimizer, a reset schedule and a new epoch count, and is not the run
it replaces.

## Example
```python
keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True)
```

## Use instead
```python
callbacks = [
    keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True),
    keras.callbacks.BackupAndRestore("backup"),  # resumes weights, optimizer and epoch
]
```

## Options
`min-epochs` (20): shorter fits are exempt.

## References
Tip 13 of the training tips; https://keras.io/api/callbacks/backup_and_restore/
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import TrainFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, is_number


def checkpoint_not_resumable(train: TrainFacts, options: dict) -> Iterator[Violation]:
    if train.entry != "fit" or not is_number(train.epochs) or train.epochs < options["min-epochs"]:
        return
    checkpoints = [c for c in train.callbacks if "ModelCheckpoint" in c.kind]
    if any("BackupAndRestore" in c.kind for c in train.callbacks) or not checkpoints:
        return
    if all(c.save_weights_only for c in checkpoints):
        yield at_site(
            checkpoints[0].site or train.site,
            f"fit() trains for {train.epochs} epochs and only saves weights: after a crash the "
            "optimizer state, the epoch and the learning-rate schedule are lost",
            "add keras.callbacks.BackupAndRestore('backup') to the callbacks",
            epochs=train.epochs,
        )


RULE = rule(
    code="T106",
    name="checkpoint-not-resumable",
    severity=Severity.WARNING,
    summary="Weights-only checkpoints cannot resume an interrupted run",
    tip=13,
    options={"min-epochs": 20},
    doc=__doc__,
    implementations=(checkpoint_not_resumable,),
)
