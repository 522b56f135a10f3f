"""
## What it does
Evaluates the loss of a clone at its initial weights on up to 512 training samples and
compares it with the value an untrained model should have: for softmax cross-entropy
the cross-entropy between the class prior and softmax(output bias) (ln C for a zero
bias), for sigmoid binary cross-entropy the same per unit. Fires when the measured loss
is more than 3 times the expected one.

## Why is this bad?
A much higher loss at step 0 means the initial outputs are confidently wrong: inputs far
from unit scale, a too-large initialisation, or a label/loss mismatch. The first
epochs are spent undoing it, or training diverges.

## Example
```python
x = df[["income", "age"]].to_numpy()  # income ~ 50,000
```

## Use instead
```python
norm = keras.layers.Normalization(); norm.adapt(x)  # first layer
```

## Options
`max-ratio` (3): measured / expected above which it fires.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import LossAtInit
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, fmt_number

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def loss_at_init_off(probes: ProbeFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    result = probes.measured(LossAtInit)
    if result is None or result.expected is None:
        return
    loss, expected = result.loss, result.expected
    if not math.isfinite(loss) or expected <= 0 or loss / expected <= options["max-ratio"]:
        return
    yield at_site(
        train.site,
        f"the loss at initialisation is {fmt_number(round(loss, 3))}, {loss / expected:.1f}x "
        f"the {fmt_number(round(expected, 3))} an untrained model should have (measured on "
        f"{result.samples} samples): the initial outputs are confidently wrong",
        (
            "standardise the inputs (in the Dataset; transforms.Normalize for images) and keep "
            "the default initialisations"
            if probes.backend == "pytorch"
            else "scale the inputs (a Normalization layer; layers.Rescaling(1 / 255) for "
            "pixels) and keep the default initialisers"
        ),
        loss=loss,
        expected=expected,
    )


RULE = rule(
    code="X102",
    name="loss-at-init-off",
    frameworks=("keras", "pytorch"),
    severity=Severity.WARNING,
    summary="The loss at initialisation is far from its expected value",
    tip=6,
    options={"max-ratio": 3.0},
    doc=__doc__,
    implementations=(
        loss_at_init_off,
        stand_in(loss_at_init_off, train=data_file_training),
    ),
)
