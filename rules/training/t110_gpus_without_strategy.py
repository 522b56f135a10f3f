"""
## What it does
Fires when NVML reports more than one GPU and training runs without a tf.distribute
strategy (or the backend's equivalent). In PyTorch: when torch sees several GPUs (after
`CUDA_VISIBLE_DEVICES`) and the model is not wrapped in DistributedDataParallel,
DataParallel or FSDP, no `torch.distributed` process group runs, or a Lightning `Trainer`
uses one device.

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
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import HardwareFacts, ModelFacts, TrainFacts


def gpus_without_strategy(
    hardware: HardwareFacts, train: TrainFacts, model: ModelFacts
) -> Iterator[Violation]:
    if len(hardware.gpus) < 2 or train.strategy is not None:
        return
    if model.framework == "pytorch":
        yield from _torch_on_one_gpu(train)
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


def _torch_on_one_gpu(train: TrainFacts) -> Iterator[Violation]:
    """PyTorch sees the GPUs CUDA_VISIBLE_DEVICES leaves it (train.gpus): several of them,
    and no DistributedDataParallel / DataParallel / FSDP wrapper, no torch.distributed
    process group, or a Lightning Trainer on one device."""
    if train.gpus < 2:
        return
    if train.entry == "lightning":
        fix = f"Trainer(devices={train.gpus}, strategy='ddp'), or CUDA_VISIBLE_DEVICES to one GPU"
    else:
        fix = (
            f"DistributedDataParallel, launched with torchrun --nproc_per_node={train.gpus}; "
            "or CUDA_VISIBLE_DEVICES to one GPU"
        )
    yield at_site(
        train.site,
        f"{train.gpus} GPUs are visible to PyTorch and training runs on one of them (no "
        "DistributedDataParallel, no process group"
        + (", a Trainer on one device)" if train.entry == "lightning" else ")"),
        fix,
        gpus=train.gpus,
    )


RULE = rule(
    code="T110",
    name="gpus-without-strategy",
    severity=Severity.WARNING,
    summary="Several GPUs visible and no distribution strategy",
    tip=18,
    doc=__doc__,
    gpu=True,
    frameworks=("keras", "pytorch"),
    implementations=(gpus_without_strategy,),
)
