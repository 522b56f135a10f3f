"""
## What it does
Flags a long `fit()` whose only checkpoints are `ModelCheckpoint(save_weights_only=True)`,
with no `BackupAndRestore`. In a PyTorch loop over `range(N)` epochs (N at least 20), it
flags checkpoints inside the loop that are all `torch.save` of the model or of its bare
`state_dict()`: no optimizer state goes with them (a dict with the optimizer's
`state_dict()`, `save_checkpoint` or `save_state` is left alone).

## Why is this bad?
Weights alone do not resume training: the optimizer's state (Adam's moments), the epoch
counter and the learning-rate schedule are lost, so a run restarted after a crash
begins with a cold optimizer, a reset schedule and a new epoch count, and is not the run
it replaces.

## Example
```python
keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True)
```

In PyTorch:
```python
for epoch in range(100):
    ...
    torch.save(model.state_dict(), "checkpoint.pt")
```

## Use instead
```python
callbacks = [
    keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True),
    keras.callbacks.BackupAndRestore("backup"),  # resumes weights, optimizer and epoch
]
```

In PyTorch:
```python
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": epoch}, "checkpoint.pt")
```

## Options
`min-epochs` (20): shorter fits are exempt.

## References
Tip 13 of the training tips; https://keras.io/api/callbacks/backup_and_restore/
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_site, is_number, torch_epoch_loop_of

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts


def checkpoint_not_resumable(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    if train.entry == "custom_loop" and "pytorch" in source.frameworks and not source.uses_keras:
        yield from checkpoint_not_resumable_source(source, options)
        return
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


def checkpoint_not_resumable_source(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """PyTorch loops: every save inside the epoch loop keeps the weights alone."""
    if "pytorch" not in source.frameworks or source.uses_keras:
        return
    loop = torch_epoch_loop_of(source, options["min-epochs"])
    if loop is None or not loop.saves or not all(_weights_only(c) for c in loop.saves):
        return
    yield at(
        loop.saves[0],
        f"the training loop runs {loop.epochs} epochs and its checkpoint keeps the weights "
        "only: after a crash the optimizer state (Adam's moments), the epoch and the "
        "learning-rate schedule are lost",
        "torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), "
        "'epoch': epoch}, path)",
        epochs=loop.epochs,
    )


def _weights_only(call: CallSite) -> bool:
    """``torch.save`` of a module or of its bare ``state_dict()`` (no optimizer state)."""
    if call.qualname != "torch.save":
        return False
    value = call.arg("obj", 0)
    if isinstance(value, CallSite) and value.method == "state_dict":
        return "optim" not in ast.unparse(value.node.func).lower()
    return isinstance(value, CallSite) and value.method is None and value.callee is None


RULE = rule(
    code="T106",
    name="checkpoint-not-resumable",
    severity=Severity.WARNING,
    summary="Weights-only checkpoints cannot resume an interrupted run",
    tip=13,
    options={"min-epochs": 20},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(checkpoint_not_resumable, checkpoint_not_resumable_source),
)
