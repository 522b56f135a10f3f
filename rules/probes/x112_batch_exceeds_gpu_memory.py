"""
## What it does
Estimates the memory of one training step from the model: the weights, their gradients
and optimizer slots, plus every layer's activations for the batch (kept for the backward
pass), and compares it with the free memory NVML reports on the first GPU.

## Why is this bad?
The run stops with an out-of-memory error at its first step, or, with memory growth,
after the first larger batch, once the data and the budget are committed.

## Example
```python
model.fit(images_512px, labels, batch_size=256)  # on a GPU with 16 GiB free
```

## Use instead
A smaller batch (with a proportionally smaller learning rate), mixed precision (halves
activations), or gradient checkpointing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import StepMemory
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import HardwareFacts, ProbeFacts, TrainFacts


def batch_exceeds_gpu_memory(
    probes: ProbeFacts, hardware: HardwareFacts, train: TrainFacts
) -> Iterator[Violation]:
    result = probes.measured(StepMemory)
    if result is None or not hardware.gpus:
        return
    gpu = hardware.gpus[0]
    need_mib = result.step_bytes / 2**20
    if need_mib <= gpu.memory_free_mib:
        return
    yield at_site(
        train.site,
        f"one training step with batch size {result.batch_size} needs about "
        f"{need_mib:,.0f} MiB, and {gpu.name} has {gpu.memory_free_mib:,.0f} MiB free "
        f"of {gpu.memory_total_mib:,.0f}",
        "a smaller batch_size, mixed precision, or a GPU with more free memory",
        need_mib=need_mib,
    )


RULE = rule(
    code="X112",
    name="batch-exceeds-gpu-memory",
    severity=Severity.ERROR,
    summary="One training step needs more memory than the GPU has free",
    doc=__doc__,
    gpu=True,
    frameworks=("keras", "pytorch"),
    implementations=(
        batch_exceeds_gpu_memory,
        stand_in(batch_exceeds_gpu_memory, train=data_file_training),
    ),
)
