"""
## What it does
In a PyTorch setup whose batch reaches the model on a CUDA device, checks the training
`DataLoader`: when its dataset's items live in CPU memory and `pin_memory` is off, it
reports (info). Judged only on a machine with an NVIDIA GPU, where the first step's batch
is on it.

## Why is this bad?
Copying a batch from ordinary (pageable) host memory to the GPU goes through a staging
copy and blocks the training loop; from pinned memory the copy is faster and, with
`non_blocking=True`, overlaps the previous step's compute. For small models with large
batches the copy is a visible share of every step.

## Example
```python
loader = DataLoader(dataset, batch_size=256, shuffle=True, num_workers=4)
for x, y in loader:
    x, y = x.to("cuda"), y.to("cuda")
```

## Use instead
```python
loader = DataLoader(dataset, batch_size=256, shuffle=True, num_workers=4, pin_memory=True)
for x, y in loader:
    x, y = x.to("cuda", non_blocking=True), y.to("cuda", non_blocking=True)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts


def pin_memory_off(train: TrainFacts) -> Iterator[Violation]:
    if train.device != "cuda" or train.pin_memory is not False:
        return
    if train.dataset_device != "cpu":
        return  # items already on the GPU (pinning them would raise), or not known
    yield at_site(
        train.site,
        "the DataLoader hands the CUDA model batches from pageable host memory "
        "(pin_memory=False): each copy to the GPU is staged and blocks the loop",
        "DataLoader(..., pin_memory=True), and x.to('cuda', non_blocking=True) in the loop",
    )


RULE = rule(
    code="P109",
    name="pin-memory-off",
    severity=Severity.INFO,
    summary="A PyTorch DataLoader feeds a CUDA model from pageable memory (pin_memory=False)",
    tip=8,
    gpu=True,
    frameworks=("pytorch",),
    doc=__doc__,
    implementations=(pin_memory_off,),
)
