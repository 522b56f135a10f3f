"""
## What it does
Flags a `fit()` of at least 20 epochs (a literal count) when the script creates no
`ModelCheckpoint`, `BackupAndRestore`, `tf.train.Checkpoint` or `CheckpointManager` and
the fit's callbacks are all visible. A Lightning `Trainer` checkpoints every epoch by
default: it fires there only for `enable_checkpointing=False` with no `ModelCheckpoint`,
nothing else that may save, and no `torch.save` / `save_checkpoint` in the script. A plain
PyTorch loop is judged from the source: an optimizer step inside a loop over the batches
inside `for epoch in range(N)`, N at least 20 (a `range` loop that steps directly counts
steps of a full-batch fit, not epochs), and no call that saves (`torch.save`, `save_checkpoint`,
`save_state`, `save_pretrained`) inside that loop; a save after the loop is too late.

## Why is this bad?
A run that dies after hours (a preempted instance, an out-of-memory error, a bug in the
last epoch) loses everything, and the best epoch's weights are gone even when it ends
well. `model.save()` after `fit()` protects against neither.

## Example
```python
model.fit(x, y, epochs=100, validation_split=0.2)
```

## Use instead
```python
callbacks = [
    keras.callbacks.ModelCheckpoint("checkpoints/best.keras", save_best_only=True),
    keras.callbacks.BackupAndRestore("checkpoints/backup"),  # resume after a crash
]
model.fit(x, y, epochs=100, validation_split=0.2, callbacks=callbacks)
```

## Options
`min-epochs` (20): shorter fits are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    KNOWN_CALLBACKS,
    LIGHTNING_PASSIVE_CALLBACKS,
    at,
    at_site,
    callbacks_known,
    fmt_number,
    is_number,
    torch_epoch_loop_of,
)

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts

CHECKPOINTS = {
    "keras.callbacks.ModelCheckpoint",
    "keras.callbacks.BackupAndRestore",
    "tensorflow.train.CheckpointManager",
    "tensorflow.train.Checkpoint",
}


def missing_checkpoint(source: SourceFacts, options: dict) -> Iterator[Violation]:
    if "pytorch" in source.frameworks and not source.uses_keras:
        yield from _torch_loop_without_checkpoint(source, options)
        return
    if source.calls_to(*CHECKPOINTS):
        return
    for fit in source.fits:
        epochs = fit.arg("epochs")
        if not is_number(epochs) or epochs < options["min-epochs"]:
            continue
        if callbacks_known(source, fit) is None:
            continue
        yield at(fit.call, *_checkpoint_text(epochs), epochs=epochs)


def missing_checkpoint_live(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    epochs = train.epochs
    if train.entry == "lightning":
        yield from _lightning_without_checkpoint(train, source, options)
        return
    if train.entry == "custom_loop" and "pytorch" in source.frameworks and not source.uses_keras:
        yield from _torch_loop_without_checkpoint(source, options)
        return
    if train.entry != "fit" or epochs is None or not is_number(epochs):
        return
    if epochs < options["min-epochs"] or source.calls_to(*CHECKPOINTS):
        return
    kinds = [c.kind for c in train.callbacks]
    if any(k in {"ModelCheckpoint", "BackupAndRestore"} for k in kinds):
        return
    if any(k not in KNOWN_CALLBACKS for k in kinds):
        return  # a custom callback may save the model itself
    yield at_site(train.site, *_checkpoint_text(epochs), epochs=epochs)


def _torch_loop_without_checkpoint(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """A PyTorch loop stepping a torch.optim optimizer inside ``for epoch in range(N)``
    (N at least min-epochs) that saves nothing inside that loop: no call whose name says
    save or checkpoint (torch.save, save_checkpoint, save_state, save_pretrained)."""
    loop = torch_epoch_loop_of(source, options["min-epochs"])
    if loop is None or loop.saves:
        return
    yield at(
        loop.range_call,
        f"the training loop runs {loop.epochs} epochs and saves nothing inside it: a crash "
        "loses the whole run, and the best epoch's weights are never kept",
        "torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), "
        "'epoch': epoch}, 'checkpoint.pt') at the end of each epoch",
        epochs=loop.epochs,
    )


def _lightning_without_checkpoint(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    """Lightning saves a checkpoint every epoch unless enable_checkpointing=False: then a
    long run with no ModelCheckpoint (and nothing in the script that saves) keeps nothing."""
    epochs = train.epochs
    if epochs is None or not is_number(epochs) or epochs < options["min-epochs"]:
        return
    kinds = {c.kind for c in train.callbacks}
    if kinds - LIGHTNING_PASSIVE_CALLBACKS - {"EarlyStopping"}:
        return  # a ModelCheckpoint, or a callback that may save
    if source.calls_to("torch.save") or source.method_calls("save_checkpoint"):
        return
    yield at_site(
        train.site,
        f"the Trainer runs {fmt_number(epochs)} epochs and saves no checkpoint "
        "(enable_checkpointing=False, no ModelCheckpoint): a crash loses the whole run",
        "Trainer(callbacks=[ModelCheckpoint(monitor='val_loss', save_top_k=1, "
        "save_last=True)]) (lightning.pytorch.callbacks)",
        epochs=epochs,
    )


def _checkpoint_text(epochs: float) -> tuple[str, str]:
    """T105's message and fix."""
    return (
        f"fit() trains for {fmt_number(epochs)} epochs and saves no checkpoint: a crash loses "
        "the whole run, and the best epoch's weights are never kept",
        "callbacks=[keras.callbacks.ModelCheckpoint('checkpoints/best.keras', "
        "save_best_only=True), keras.callbacks.BackupAndRestore('checkpoints/backup')]",
    )


RULE = rule(
    code="T105",
    name="missing-checkpoint",
    severity=Severity.WARNING,
    summary="A long fit() saves no checkpoints",
    tip=13,
    options={"min-epochs": 20},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        missing_checkpoint_live,
        missing_checkpoint,
    ),
)
