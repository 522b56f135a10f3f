"""
## What it does
In a PyTorch setup, reads which layers with weights computed in float16 on the first step's batch
(under `torch.autocast(dtype=torch.float16)`, or a model cast with `.half()`) and whether
the script built an enabled `GradScaler`. It fires when layers compute in float16 and no
enabled scaler exists (`GradScaler(enabled=False)` counts as none). bfloat16 is left alone:
it has float32's range and needs no scaling; so is a Lightning Trainer with
`precision="16-mixed"`, which scales the loss itself.

## Why is this bad?
float16 represents nothing below about 6e-8. In the backward pass many gradients are
smaller than that: they flush to zero, and the layers they belong to stop learning, or
the loss stalls with no error. Loss scaling multiplies the loss before `backward()` (so
the gradients stay representable) and divides them again before the step, skipping the
steps whose gradients overflowed.

## Example
```python
with torch.autocast("cuda", dtype=torch.float16):
    loss = loss_fn(model(x), y)
loss.backward()
optimizer.step()
```

## Use instead
```python
scaler = torch.amp.GradScaler()
with torch.autocast("cuda", dtype=torch.float16):
    loss = loss_fn(model(x), y)
scaler.scale(loss).backward()
scaler.step(optimizer)
scaler.update()
```
Or autocast to `torch.bfloat16` (Ampere and newer), which needs no scaler.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, listed

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def float16_without_grad_scaler(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    if train.grad_scaler is not False:
        return
    half = [
        layer.name for layer in model.layers if layer.weighted and layer.compute_dtype == "float16"
    ]
    if not half:
        return
    named = listed([f"'{name}'" for name in half])
    lightning = train.entry == "lightning"
    yield at_site(
        train.site,
        f"{len(half)} layer{'s' if len(half) > 1 else ''} ({named}) compute in float16 and no "
        "enabled GradScaler scales the loss: gradients below float16's smallest value (about "
        "6e-8) flush to zero in the backward pass, and what they should train stops learning",
        "Trainer(precision='16-mixed') scales the loss (or 'bf16-mixed' needs no scaling)"
        if lightning
        else "scaler = torch.amp.GradScaler(); scaler.scale(loss).backward(); "
        "scaler.step(optimizer); scaler.update() (or autocast to torch.bfloat16, which needs "
        "no scaler)",
        layers=half,
    )


RULE = rule(
    code="T122",
    name="float16-without-grad-scaler",
    severity=Severity.WARNING,
    summary="PyTorch: layers compute in float16 and no enabled GradScaler scales the loss",
    frameworks=("pytorch",),
    tip=15,
    doc=__doc__,
    implementations=(float16_without_grad_scaler,),
)
