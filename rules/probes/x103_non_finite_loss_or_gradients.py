"""
## What it does
Fires when the loss at initialisation, the loss during the first steps of the
single-batch probe, or the gradients of the first batch contain NaN or Inf (the data
itself is D105's).

## Why is this bad?
One non-finite value in the loss or a gradient turns every weight it reaches into NaN:
the run is lost from that step on.

## Example
```python
outputs = keras.ops.log(dense(x))  # log of values <= 0
```

## Use instead
Keep the argument of log / sqrt / division positive (`keras.ops.log(x + 1e-7)`), use
`from_logits=True` losses instead of hand-written ones, lower an exploding learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Gradients, LossAtInit, Overfit
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def non_finite_loss_or_gradients(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    problems = []
    init = probes.measured(LossAtInit)
    if init and not math.isfinite(init.loss):
        problems.append(f"the loss at initialisation is {init.loss}")
    overfit = probes.measured(Overfit)
    if overfit and not problems:
        bad = [i for i, v in enumerate(overfit.losses) if not math.isfinite(v)]
        if bad:
            problems.append(f"the loss is {overfit.losses[bad[0]]} at step {bad[0] + 1}")
    gradients = probes.measured(Gradients)
    if gradients and gradients.non_finite:
        count = gradients.non_finite
        problems.append(f"{count} of {gradients.variables} gradients are not finite")
    if problems:
        yield at_site(
            train.site,
            f"training produces non-finite values on a clone: {'; '.join(problems)}",
            "find the op that overflows (log/sqrt/division of values <= 0, an exploding learning "
            "rate); "
            + (
                "torch.autograd.set_detect_anomaly(True) names it"
                if probes.backend == "pytorch"
                else "tf.debugging.enable_check_numerics() names it"
            ),
        )


RULE = rule(
    code="X103",
    name="non-finite-loss-or-gradients",
    frameworks=("keras", "pytorch"),
    severity=Severity.ERROR,
    summary="NaN or Inf in the first steps",
    doc=__doc__,
    implementations=(
        non_finite_loss_or_gradients,
        stand_in(non_finite_loss_or_gradients, train=data_file_training),
    ),
)
