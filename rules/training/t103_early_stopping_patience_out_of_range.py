"""
## What it does
Checks the `patience` of every `EarlyStopping` callback against 5-20 epochs. Keras'
default patience is 0. A longer patience is right, and accepted, in two cases: a tenth of
a long run (patience 50 of 500 epochs), and up to 3x the patience of a
`ReduceLROnPlateau` in the same script (early stopping must wait for the lowered rate to
show its effect, or the schedule never gets a chance).

## Why is this bad?
With a patience of 0-4, one noisy epoch without improvement ends the run long before the
model converged. With a patience above 20, training goes on for that many wasted epochs
after the best one.

## Example
```python
keras.callbacks.EarlyStopping(monitor="val_loss")  # patience=0
```

## Use instead
```python
keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
```

## Options
`min-patience` (5) and `max-patience` (20), from the training tips.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts.evaluate import MISSING
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import EARLY_STOPPING, at, at_site, fmt_number, is_number

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts

REDUCE_LR = "keras.callbacks.ReduceLROnPlateau"
PLATEAU_DEFAULT_PATIENCE = 10
PLATEAU_FACTOR = 3  # early stopping may wait this many plateaus of the LR schedule
RUN_SHARE = 10  # ... or a tenth of the run


def early_stopping_patience(source: SourceFacts, options: dict) -> Iterator[Violation]:
    plateaus = [source.call_arg(call, "patience") for call in source.calls_to(REDUCE_LR)]
    epochs = [fit.arg("epochs") for fit in source.fits]
    allowed = _allowed_patience(
        [PLATEAU_DEFAULT_PATIENCE if p is MISSING else p for p in plateaus], epochs
    )
    for call in source.calls_to(EARLY_STOPPING):
        patience = source.call_arg(call, "patience")
        problem = _patience_problem(0 if patience is MISSING else patience, options, allowed)
        if problem:
            yield at(call, problem, "patience=10", patience=patience)


def early_stopping_patience_live(train: TrainFacts, options: dict) -> Iterator[Violation]:
    plateaus = [c.patience for c in train.callbacks if "ReduceLROnPlateau" in c.kind]
    allowed = _allowed_patience(plateaus, [train.epochs])
    for callback in train.callbacks:
        if "EarlyStopping" in callback.kind:
            problem = _patience_problem(callback.patience, options, allowed)
            if problem:
                yield at_site(
                    callback.site or train.site, problem, "patience=10", patience=callback.patience
                )


def _allowed_patience(plateaus: list[Any], epochs: list[Any]) -> float:
    """The longest patience this run's schedule and length justify (0: none)."""
    longest = [PLATEAU_FACTOR * p for p in plateaus if is_number(p)]
    longest += [e / RUN_SHARE for e in epochs if is_number(e)]
    return max(longest, default=0)


def _patience_problem(patience: Any, options: dict, allowed: float) -> str | None:
    low, high = options["min-patience"], max(options["max-patience"], allowed)
    if not is_number(patience) or low <= patience <= high:
        return None
    if patience < low:
        why = (
            "stops the run after the first epoch without improvement"
            if patience == 0
            else f"stops after {fmt_number(patience)} epochs without improvement,"
            " before noisy training had a chance to improve"
        )
    else:
        why = f"keeps training {fmt_number(patience)} epochs past the best one"
    return (
        f"EarlyStopping patience={fmt_number(patience)} {why} "
        f"(sane range: {fmt_number(low)}-{fmt_number(high)})"
    )


RULE = rule(
    code="T103",
    name="early-stopping-patience-out-of-range",
    severity=Severity.WARNING,
    summary="EarlyStopping patience outside 5-20 epochs",
    tip=16,
    options={"min-patience": 5, "max-patience": 20},
    doc=__doc__,
    implementations=(
        early_stopping_patience_live,
        early_stopping_patience,
    ),
)
