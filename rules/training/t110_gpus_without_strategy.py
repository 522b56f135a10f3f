"""
## What it does
Fires when NVML reports more than one GPU and training runs without a tf.distribute
strategy (or the backend's equivalent).

## Why is this bad?
Keras trains on one GPU by default: the others idle while the run takes N times longer
than it could.

## Example
```python
model = build_model()  # on a machine with 8 GPUs
model.fit(train_ds, epochs=90)
```

## Use instead
```python
strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    model = build_model()
```
or restrict the run to one GPU with CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import HardwareFacts, TrainFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site


def gpus_without_strategy(hardware: HardwareFacts, train: TrainFacts) -> Iterator[Violation]:
    if len(hardware.gpus) < 2 or train.strategy is not None:
        return
    busy = sum(1 for gpu in hardware.gpus if gpu.other_processes)
    note = f" ({busy} already used by other processes)" if busy else ""
    yield at_site(
        train.site,
        f"{len(hardware.gpus)} GPUs are visible{note} and training uses no distribution "
        "strategy: Keras trains on one of them",
        "create the model under tf.distribute.MirroredStrategy().scope(), or set "
        "CUDA_VISIBLE_DEVICES to one GPU",
        gpus=len(hardware.gpus),
    )


RULE = rule(
    code="T110",
    name="gpus-without-strategy",
    severity=Severity.WARNING,
    summary="Several GPUs visible and no distribution strategy",
    tip=18,
    doc=__doc__,
    gpu=True,
    implementations=(gpus_without_strategy,),
)
