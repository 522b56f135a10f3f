"""
## What it does
For each layer of a clone, measures the gradient norm of its weight matrices relative to
their norm on one batch (the size of a step relative to the weights). Fires when the
layers nearest the input (the first third, median) get less than 1e-4 of the relative
gradient of the layers nearest the loss (the last third): vanishing, the early layers
barely learn; or when the total gradient norm exceeds 1e4: exploding.

## Why is this bad?
With vanishing gradients the early layers stay at their random initialisation; with
exploding ones a step throws the weights away. Either way the run wastes its budget.

## Example
```python
for _ in range(12):
    model.add(layers.Dense(32, activation="sigmoid"))
```

## Use instead
ReLU-family activations with He initialisation, residual connections, normalisation
layers (BatchNormalization / LayerNormalization), and `clipnorm=1.0` on the optimizer
against explosions.

## Options
`min-ratio` (1e-4): early / late relative gradient below which it fires.
`max-norm` (1e4): the total gradient norm above which it fires.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Gradients
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, broken_numerics, data_file_training, fmt_sci, vanishing_gradient

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def vanishing_or_exploding_gradients(
    probes: ProbeFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(Gradients)
    if result is None or len(result.layers) < 2 or broken_numerics(probes):
        return
    total = math.sqrt(sum(layer.gradient_norm**2 for layer in result.layers))
    vanishing = vanishing_gradient(result.layers, options["min-ratio"])
    if vanishing:
        low_name, low, high_name, high = vanishing
        yield at_site(
            train.site,
            f"gradients vanish: layer '{low_name}' gets a relative gradient of {fmt_sci(low)}, "
            f"{fmt_sci(low / high)} of layer '{high_name}' ({fmt_sci(high)}): the layers far from "
            "the loss barely learn",
            (
                "ReLU-family activations with Kaiming initialisation (nn.init.kaiming_normal_), "
                "residual connections or normalisation layers"
                if probes.backend == "pytorch"
                else "ReLU-family activations with he_normal initialisation, residual "
                "connections or normalisation layers"
            ),
            layers=[asdict(layer) for layer in result.layers],
        )
    elif total > options["max-norm"]:
        largest = max(result.layers, key=lambda layer: layer.gradient_norm)
        yield at_site(
            train.site,
            f"gradients explode: the total gradient norm on one batch is {fmt_sci(total)} "
            f"(largest in layer '{largest.layer}')",
            (
                "scale the inputs, lower the learning rate, or clip: "
                "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0) before optimizer.step()"
                if probes.backend == "pytorch"
                else "scale the inputs, lower the learning rate, or clip: "
                "optimizer(..., clipnorm=1.0)"
            ),
            layers=[asdict(layer) for layer in result.layers],
        )


RULE = rule(
    code="X105",
    name="vanishing-or-exploding-gradients",
    severity=Severity.WARNING,
    summary="Gradients vanish or explode across the layers",
    options={"min-ratio": 1e-4, "max-norm": 1e4},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        vanishing_or_exploding_gradients,
        stand_in(vanishing_or_exploding_gradients, train=data_file_training),
    ),
)
