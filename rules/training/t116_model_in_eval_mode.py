"""
## What it does
In a PyTorch training loop, checks the model's mode at its first `optimizer.step()`:
when the model is in evaluation mode (`model.eval()` was called and `model.train()` was
not called again) and it has layers that train differently from how they predict
(`Dropout` and its variants, `BatchNorm`), it fires.

## Why is this bad?
In evaluation mode Dropout never drops, so it does not regularize, and BatchNorm
normalizes with its running statistics and stops updating them, so the statistics used
after training stay where they were. A loop that evaluates at the end of each epoch with
`model.eval()` and never switches back trains every later epoch this way.

## Example
```python
for epoch in range(epochs):
    for x, y in train_loader:
        ...
    model.eval()
    evaluate(model, val_loader)
```

## Use instead
```python
for epoch in range(epochs):
    model.train()
    for x, y in train_loader:
        ...
    model.eval()
    evaluate(model, val_loader)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

MODE_DEPENDENT = ("Dropout", "AlphaDropout", "BatchNorm", "SyncBatchNorm", "InstanceNorm")


def model_in_eval_mode(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    if train.loop_training != "false":
        return
    affected = [layer for layer in model.layers if layer.kind.startswith(MODE_DEPENDENT)]
    if not affected:
        return
    kinds = sorted({layer.kind for layer in affected})
    yield at_site(
        train.site,
        f"the model is in eval() mode at the first optimizer step, so its {len(affected)} "
        f"mode-dependent layer(s) ({', '.join(kinds)}) train as they predict: Dropout does "
        "not drop and BatchNorm neither uses the batch statistics nor updates its running "
        "ones",
        "call model.train() at the start of each training epoch",
        layers=[layer.name for layer in affected],
    )


RULE = rule(
    code="T116",
    name="model-in-eval-mode",
    severity=Severity.ERROR,
    summary="A PyTorch model trained in eval() mode",
    tip=14,
    frameworks=("pytorch",),
    doc=__doc__,
    implementations=(model_in_eval_mode,),
)
