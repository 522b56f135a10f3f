"""
## What it does
Runs up to 256 training samples through a clone and counts, per ReLU layer, the units
(channels) that output zero for every sample. Fires when more than half of a layer's
units are dead.

## Why is this bad?
A dead ReLU unit has zero gradient for every sample: it never recovers, and the layer
is effectively narrower than configured. Usual causes: large negative biases, unscaled
inputs, or a learning rate that knocked the units out.

## Example
```python
layers.Dense(64, activation="relu", bias_initializer=keras.initializers.Constant(-5))
```

## Use instead
Zero bias initialisation, scaled inputs, or LeakyReLU / GELU.

## Options
`max-dead-share` (0.5): the share of dead units in a layer above which it fires.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import DeadUnits
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, broken_numerics, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def dead_relu_units(probes: ProbeFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    result = probes.measured(DeadUnits)
    if result is None or broken_numerics(probes):
        return
    dead = [layer for layer in result.layers if layer.dead_share > options["max-dead-share"]]
    if not dead:
        return
    shown = ", ".join(f"'{d.layer}' {d.dead_share:.0%} of {d.units}" for d in dead[:4])
    yield at_site(
        train.site,
        f"dead ReLU units on {result.samples} samples: {shown}; they output 0 for "
        "every sample and get no gradient",
        (
            "scaled inputs and zero biases (nn.init.zeros_), or nn.LeakyReLU / nn.GELU"
            if probes.backend == "pytorch"
            else "zero bias initialisation and scaled inputs, or activation='leaky_relu' / 'gelu'"
        ),
        layers=[asdict(layer) for layer in result.layers],
    )


RULE = rule(
    code="X106",
    name="dead-relu-units",
    severity=Severity.WARNING,
    summary="Most units of a ReLU layer never activate",
    options={"max-dead-share": 0.5},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        dead_relu_units,
        stand_in(dead_relu_units, train=data_file_training),
    ),
)
