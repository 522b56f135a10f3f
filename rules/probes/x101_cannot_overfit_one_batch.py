"""
## What it does
Trains a clone of the model on one batch of 32 training samples (with every class in
it; same optimizer settings, capture-time weights) for up to 400 steps (fewer for large
models: the count depends on the model's size, never on time), and, when that does not
learn the batch, trains another clone on the same batch with a reference optimizer (Adam
at 1e-3). Fires when neither learned it: the loss has not fallen by a factor of 10
towards the loss of perfect predictions (0 for hard labels; for probabilities under
cross-entropy, such as an autoencoder's pixels or soft labels, their entropy), the
batch is not classified 100% correctly, and the loss has stalled (the last quarter of
the steps improved it by less than 10%). A loss still falling at the step cap is slow,
not broken; a batch the reference optimizer learns shows that the model can learn and
the configured optimizer settings are the problem (X107's business): no finding. The
message gives the loss curve's start and end and the most likely causes the other
probes found.

## Why is this bad?
Any working model and optimizer can memorise 32 samples. If it cannot, something is
broken (frozen or disconnected layers, a learning rate off by orders of magnitude, a
loss that does not match the output, dead units), and a full run would learn nothing.

## Example
```python
model = keras.Sequential([backbone, head])
model.trainable = False  # meant: backbone.trainable = False
```

## Use instead
```python
backbone.trainable = False
```

## Options
`required-factor` (10): how far the loss must fall (start / end) for the batch to count
as learned.

## References
Tip 1 of the training tips (overfit a single batch first); Karpathy, "A Recipe for
Training Neural Networks" (2019).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import DeadUnits, Gradients, LrRange, Overfit
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    broken_numerics,
    data_file_training,
    fmt_number,
    fmt_sci,
    overfit_learned,
    reference_learned,
    vanishing_gradient,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, ProbeFacts, TrainFacts


def _stalled(losses: list[float]) -> bool:
    """The last quarter of the curve improved the loss by less than 10%."""
    quarter = max(1, len(losses) // 4)
    before, after = min(losses[:-quarter] or losses[:1]), min(losses[-quarter:])
    return after > before * 0.9


def likely_causes(model: ModelFacts, probes: ProbeFacts) -> list[str]:
    """What the other probes found that stops a model from learning, most specific first."""
    causes = []
    gradients = probes.measured(Gradients)
    if gradients and gradients.non_finite:
        causes.append("non-finite gradients (X103)")
    if gradients and gradients.disconnected:
        causes.append(f"{len(gradients.disconnected)} variables get no gradient (X104)")
    dead = probes.measured(DeadUnits)
    if dead and any(layer.dead_share > 0.5 for layer in dead.layers):
        causes.append("most ReLU units are dead (X106)")
    sweep = probes.measured(LrRange)
    rate = model.learning_rate
    if sweep and rate:
        diverged, suggested = sweep.diverged_at, sweep.suggested
        if diverged and rate > diverged:
            causes.append(
                f"the learning rate {fmt_sci(rate)} is past divergence ({fmt_sci(diverged)})"
            )
        elif suggested and rate < suggested / 100:
            causes.append(f"the learning rate {fmt_sci(rate)} is far below {fmt_sci(suggested)}")
    if gradients and vanishing_gradient(gradients.layers, 1e-4):
        causes.append("the gradients vanish (X105)")
    if gradients and not gradients.variables:
        causes.append("the model has no trainable weights")
    return causes


def cannot_overfit_one_batch(
    probes: ProbeFacts, model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(Overfit)
    if result is None or reference_learned(result, options["required-factor"]):
        return
    losses = result.losses
    if not losses or not all(math.isfinite(v) for v in losses) or broken_numerics(probes):
        return  # X103's case
    start, end, floor = losses[0], min(losses), result.floor
    above = [loss - floor for loss in losses]  # what training can still remove
    if above[0] <= 0 or overfit_learned(result, options["required-factor"]):
        return
    if not _stalled(above):
        return
    causes = likely_causes(model, probes)
    because = f"; likely: {', '.join(causes)}" if causes else ""
    ratio = above[0] / max(min(above), 1e-12)
    towards = (
        f" towards {fmt_number(round(floor, 4))}, the loss of perfect predictions"
        if floor > 1e-6
        else ""
    )
    yield at_site(
        train.site,
        f"a clone trained on one batch of {result.batch} samples for "
        f"{len(losses)} steps only took the loss from {fmt_number(round(start, 4))} to "
        f"{fmt_number(round(end, 4))} ({ratio:.1f}x{towards}; "
        f"{options['required-factor']:g}x needed){because}",
        "make the model able to learn one batch first: check which layers are trainable, "
        "the learning rate, and that the loss matches the output",
        losses=losses,
    )


RULE = rule(
    code="X101",
    name="cannot-overfit-one-batch",
    frameworks=("keras", "pytorch"),
    severity=Severity.ERROR,
    summary="The model cannot overfit a single batch",
    tip=1,
    options={"required-factor": 10.0},
    doc=__doc__,
    implementations=(
        cannot_overfit_one_batch,
        stand_in(cannot_overfit_one_batch, train=data_file_training),
    ),
)
