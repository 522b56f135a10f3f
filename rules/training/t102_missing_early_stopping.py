"""
## What it does
Flags a Keras `fit()` of at least 10 epochs (or an epoch count that is not a literal) whose
callbacks are all visible in the script and include no `EarlyStopping`. Scripts that stop
training themselves (`model.stop_training = True` in a callback) are left alone. A
Lightning `Trainer` of at least 10 epochs (1000 when neither `max_epochs` nor `max_steps`
is set) is judged the same way from its live callbacks: only Lightning's own passive ones
(progress bar, model summary, ModelCheckpoint) and no `trainer.should_stop` in the script.

## Why is this bad?
Without early stopping a long run keeps going after the validation loss stopped
improving: it spends GPU time on overfitting and ends with worse weights than the best
epoch's.

## Example
```python
model.fit(x, y, validation_split=0.2, epochs=200)
```

## Use instead
```python
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                     restore_best_weights=True)
model.fit(x, y, validation_split=0.2, epochs=200, callbacks=[stop])
```

## Options
`min-epochs` (10): shorter fits are exempt, early stopping has little to save there.

## References
- Tip 16 of the training tips; https://keras.io/api/callbacks/early_stopping/
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import (
    EARLY_STOPPING,
    KNOWN_CALLBACKS,
    LIGHTNING_PASSIVE_CALLBACKS,
    at,
    at_site,
    callbacks_known,
    fmt_number,
    has_validation,
    is_number,
)

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts


def missing_early_stopping(source: SourceFacts, options: dict) -> Iterator[Violation]:
    if source.calls_to(EARLY_STOPPING) or "stop_training" in source.text:
        return
    for fit in source.fits:
        epochs = fit.arg("epochs")
        if is_number(epochs) and epochs < options["min-epochs"]:
            continue
        if callbacks_known(source, fit) is None:
            continue
        known = epochs if is_number(epochs) else None
        message, fix = _early_stopping_text(known, has_validation(fit) is False)
        yield at(fit.call, message, fix, epochs=known)


def missing_early_stopping_live(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    if train.entry == "lightning":
        yield from _lightning_without_early_stopping(train, source, options)
        return
    if train.entry != "fit" or not is_number(train.epochs):
        return
    if train.epochs < options["min-epochs"]:
        return
    kinds = [c.kind for c in train.callbacks]
    if any("EarlyStopping" in k for k in kinds) or any(k not in KNOWN_CALLBACKS for k in kinds):
        return  # a custom callback may stop training itself
    message, fix = _early_stopping_text(train.epochs, train.validation is None)
    yield at_site(train.site, message, fix, epochs=train.epochs)


def _lightning_without_early_stopping(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    """Lightning: a Trainer with many epochs and no EarlyStopping among its callbacks (its
    own passive callbacks aside; any other may stop the run, as may trainer.should_stop)."""
    epochs = train.epochs
    if epochs is None or not is_number(epochs) or epochs < options["min-epochs"]:
        return
    kinds = {c.kind for c in train.callbacks}
    if kinds - LIGHTNING_PASSIVE_CALLBACKS - {"ModelCheckpoint"} or "should_stop" in source.text:
        return
    patience = min(10, max(5, int(epochs) // 4))
    fix = (
        f"Trainer(callbacks=[EarlyStopping(monitor='val_loss', patience={patience})]) "
        "(lightning.pytorch.callbacks), with self.log('val_loss', ...) in validation_step"
    )
    if train.validation is None:
        fix += ", and validation data: trainer.fit(model, train_loader, val_loader)"
    yield at_site(
        train.site,
        f"the Trainer runs {fmt_number(epochs)} epochs with no EarlyStopping callback: "
        "the run goes on after the validation loss stops improving",
        fix,
        epochs=epochs,
    )


def _early_stopping_text(epochs: float | None, no_validation: bool) -> tuple[str, str]:
    """T102's message and fix: a patience that fits the epoch count (5-10)."""
    patience = min(10, max(5, int(epochs) // 4)) if epochs is not None else 10
    fix = (
        f"callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', patience={patience}, "
        "restore_best_weights=True)]"
    )
    if no_validation:
        fix += ", validation_split=0.2  # early stopping needs validation data"
    shown = fmt_number(epochs) if epochs is not None else "an unknown number of"
    message = (
        f"fit() trains for {shown} epochs with no EarlyStopping: the run goes on after the "
        "validation loss stops improving"
    )
    return message, fix


RULE = rule(
    code="T102",
    name="missing-early-stopping",
    severity=Severity.WARNING,
    summary="fit() runs many epochs with no EarlyStopping callback",
    tip=16,
    options={"min-epochs": 10},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        missing_early_stopping_live,
        missing_early_stopping,
    ),
)
