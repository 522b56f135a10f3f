"""
## What it does
Computes the gradient of the loss for one batch with respect to every trainable weight
of a clone and lists the weights whose gradient is missing or exactly zero.

## Why is this bad?
A weight without a gradient never trains: a layer cut off by `stop_gradient`, an output
that does not reach the loss, a branch that is built but never used. The parameters cost
memory and time and the model is not the one you think you are training.

## Example
```python
features = keras.ops.stop_gradient(encoder(inputs))  # the encoder never learns
```

## Use instead
Remove the `stop_gradient` (or set `encoder.trainable = False` if freezing is meant),
and connect every trainable layer to the loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import DeadUnits, Gradients
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, listed

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def no_gradient(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    result = probes.measured(Gradients)
    if result is None:
        return
    names = list(result.disconnected)
    dead = probes.measured(DeadUnits)
    all_dead = dead is not None and any(layer.dead_share == 1.0 for layer in dead.layers)
    # JAX and torch-backed Keras report zeros, not None; PyTorch's None is certain
    if probes.backend not in {"tensorflow", "pytorch"} and not all_dead:
        names += result.zero
    if not names:
        return
    shown = listed(names, 4)
    yield at_site(
        train.site,
        f"{len(names)} of {result.variables} trainable weights get no gradient "
        f"from the loss: {shown}",
        (
            "use them in forward() or leave them out: delete the unused modules, or freeze "
            "them with param.requires_grad_(False) and keep them out of the optimizer"
            if probes.backend == "pytorch"
            else "connect them to the loss (remove stop_gradient / unused branches) or freeze "
            "them with layer.trainable = False"
        ),
        variables=names,
    )


RULE = rule(
    code="X104",
    name="no-gradient",
    severity=Severity.WARNING,
    summary="Trainable weights that receive no gradient",
    tip=14,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        no_gradient,
        stand_in(no_gradient, train=data_file_training),
    ),
)
