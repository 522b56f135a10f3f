"""
## What it does
Counts the optimizer steps the run will make (`epochs` x the batches of one epoch, from
the training rows fit() receives after `validation_split`, or `steps_per_epoch`) and
compares them with the single-batch probe's curve: the step at which a clone had halved
its loss (above the loss of perfect predictions) on one batch of 32 samples, or classified
every sample of it right (the earliest step that can have happened). Fires when the whole
run makes fewer steps than that.

## Why is this bad?
Learning a data set takes many more steps than fitting one batch of it. A run too short
to even halve the loss on one batch stops long before the model has learned what it
could: the epoch count was set by habit (or for a quick test and left),
not by the model's measured pace. Early stopping, not a small epoch count, is what ends
training at the right time.

## Example
```python
model.fit(x_train, y_train, epochs=2, batch_size=512)  # 4,000 rows: 16 steps
```

## Use instead
```python
model.fit(x_train, y_train, epochs=100, batch_size=64, validation_split=0.2,
          callbacks=[keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)])
```

## Options
`progress-factor` (2): how far (start / end, above the floor) the clone's loss must have
fallen on the batch: the whole run must allow at least that many steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import ACCURACY_CHECK_EVERY, Overfit
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ProbeFacts, TrainFacts


def _learned_at(overfit: Overfit, factor: float) -> int | None:
    """The first step (1-based) at which the loss above its floor had fallen ``factor``x."""
    start = overfit.losses[0] - overfit.floor if overfit.losses else 0.0
    if start <= 0:
        return None
    for step, loss in enumerate(overfit.losses, start=1):
        if math.isfinite(loss) and loss - overfit.floor <= start / factor:
            return step
    if overfit.accuracy == 1.0 and overfit.classes > 1 and len(overfit.losses) < overfit.max_steps:
        # stopped when every sample was right; accuracy is checked every few steps, and
        # the check before the last had not seen it: learned after that one at the earliest
        return max(len(overfit.losses) - ACCURACY_CHECK_EVERY + 1, 1)
    return None


def _run_steps(data: DataFacts, train: TrainFacts) -> int | None:
    epochs = train.epochs or 1
    if train.steps_per_epoch:
        return epochs * train.steps_per_epoch
    if data.length is None or not train.batch_size:
        return None
    rows = math.floor(data.length * (1 - train.validation_split))
    return epochs * math.ceil(rows / train.batch_size) if rows > 0 else None


def run_too_short(
    probes: ProbeFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    overfit = probes.measured(Overfit)
    if train.entry != "fit" or overfit is None:
        return
    needed = _learned_at(overfit, options["progress-factor"])
    steps = _run_steps(data, train)
    if needed is None or steps is None or steps >= needed:
        return
    epochs = train.epochs or 1
    yield at_site(
        train.site,
        f"the run makes {steps:,} optimizer steps ({epochs} epoch{'s' if epochs != 1 else ''}), "
        f"fewer than the {needed} a clone needed to halve its loss on one batch of "
        f"{overfit.batch} samples: it ends long before the model has learned the data",
        "epochs=100 with keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)",
        steps=steps,
        needed=needed,
    )


RULE = rule(
    code="X114",
    name="run-too-short",
    severity=Severity.WARNING,
    summary="The run makes fewer optimizer steps than a clone needs to learn one batch",
    tip=2,
    options={"progress-factor": 2.0},
    doc=__doc__,
    implementations=(run_too_short,),
)
