"""
## What it does
Runs a learning-rate range test on a clone: an exponential sweep from 1e-7 to 10, one
step per rate on successive batches (80 points, fewer for large models), stopping when
the loss diverges. The suggested rate is a tenth of the rate at the lowest (smoothed)
loss. Fires when the configured initial rate is past the divergence point, or more than
100x below the suggested rate while the single-batch probe, run at the configured rate,
could not learn its batch (a short sweep overestimates the useful rate, so a rate that
demonstrably learns is left alone). When the reference optimizer (Adam at 1e-3) learned
the batch that the configured one did not, the message shows both curves.

This is the measured form of T101: when both fire on a target, only X107 is reported
(with the measurement); with X107 not selected, T101 speaks.

## Why is this bad?
Past divergence the loss explodes within steps; far below the useful range the budget
is spent crawling. The sweep measures your model on your data, where T101 only knows
the optimizer family.

## Example
```python
keras.optimizers.Adam(learning_rate=2e-6)  # in Adam's range, useless for this model
```

## Use instead
The suggested rate in the message (then tune around it).

## Options
`too-low-factor` (100): how far below the suggested rate the configured one may be.

## References
Tip 7 of the training tips (tune the learning rate); Smith, "Cyclical Learning Rates for
Training Neural Networks" (2017).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import LrRange, Overfit
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    data_file_training,
    fmt_number,
    fmt_sci,
    overfit_learned,
    reference_learned,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, ProbeFacts, TrainFacts


def _overfit_succeeded(probes: ProbeFacts) -> bool:
    """The configured learning rate learned one batch: it is not uselessly low."""
    result = probes.measured(Overfit)
    return result is not None and overfit_learned(result, 10)


def learning_rate_off_measured(
    probes: ProbeFacts, model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(LrRange)
    rate = model.learning_rate
    if result is None or rate is None:
        return
    diverged, suggested = result.diverged_at, result.suggested
    if diverged is not None and rate > diverged:
        direction = "high"
        message = (
            f"the learning rate {fmt_sci(rate)} is past the point where the loss diverges on "
            f"this model ({fmt_sci(diverged)}, measured by a range test on a clone"
            + (f"; suggested {fmt_sci(suggested)})" if suggested else ")")
        )
    elif (
        suggested is not None
        and rate < suggested / options["too-low-factor"]
        and not _overfit_succeeded(probes)
    ):
        direction = "low"
        message = (
            f"the learning rate {fmt_sci(rate)} is {suggested / rate:.0f}x below the "
            f"{fmt_sci(suggested)} a range test on a clone suggests: training would crawl"
        )
    else:
        return
    overfit = probes.measured(Overfit)
    curves: dict[str, object] = {}
    if overfit is not None and reference_learned(overfit, 10):
        mine, reference = overfit.losses, overfit.reference
        assert reference is not None  # reference_learned
        theirs = reference.losses
        message += (
            f"; on one batch it took the loss from {fmt_number(round(mine[0], 4))} to "
            f"{fmt_number(round(min(mine), 4))} in {len(mine)} steps, where "
            f"{reference.optimizer} took it to {fmt_number(round(min(theirs), 4))} in "
            f"{len(theirs)}"
        )
        curves = {"overfit_losses": mine, "reference_losses": theirs}
    keyword = "lr" if probes.backend == "pytorch" else "learning_rate"
    fix = f"{keyword}={fmt_sci(suggested)}" if suggested else "a lower learning rate"
    yield at_site(
        train.site,
        message,
        fix,
        direction=direction,
        rate=rate,
        diverged_at=diverged,
        suggested=suggested,
        rates=result.rates,
        losses=result.losses,
        **curves,
    )


RULE = rule(
    code="X107",
    name="learning-rate-off-measured",
    frameworks=("keras", "pytorch"),
    severity=Severity.WARNING,
    summary="The learning rate is past divergence or far below the useful range (measured)",
    tip=7,
    options={"too-low-factor": 100.0},
    supersedes=("T101",),
    doc=__doc__,
    implementations=(
        learning_rate_off_measured,
        stand_in(learning_rate_off_measured, train=data_file_training),
    ),
)
