"""
## What it does
Compares the model's parameter count, and its size as float32 weights, with the
deployment budget the project sets in its options (`max-params`, `max-mib`, in
`[tool.nncheck.options]` or with `--option A104.max-params=...`), and fires when the model
exceeds either. Without a budget (the default, 0) it never fires: only the project knows
where the model must run.

## Why is this bad?
A model trained at a size it cannot ship at has to be shrunk afterwards, and the accuracy
measured now is not the accuracy users will get. Deciding before the run is cheaper: train
a smaller model, or plan for distillation (the large model teaches a small one that fits)
and quantization.

## Example
```toml
[tool.nncheck.options]
A104 = { max-params = 5_000_000 }   # a phone app's budget
```
```python
model = keras.applications.ResNet50(weights=None, classes=10)  # 23.6M parameters
```

## Use instead
```python
model = keras.applications.MobileNetV3Small(weights=None, classes=10)  # 1.5M parameters
```
Or train the large model as a teacher and distil it into a student within the budget.

## Options
`max-params` (0: no budget): the most parameters the deployed model may have.
`max-mib` (0: no budget): the most MiB its float32 weights may take.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

FLOAT32_BYTES = 4


def model_over_deployment_budget(
    model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    max_params, max_mib = options["max-params"], options["max-mib"]
    mib = model.params * FLOAT32_BYTES / 2**20
    over = []
    if max_params and model.params > max_params:
        over.append(f"{model.params / max_params:.1f}x the budget of {max_params:,} parameters")
    if max_mib and mib > max_mib:
        over.append(f"{mib / max_mib:.1f}x the budget of {max_mib:,} MiB")
    if not over:
        return
    yield at_site(
        train.site,
        f"the model has {model.params:,} parameters ({mib:,.1f} MiB as float32), "
        f"{' and '.join(over)} set for its deployment",
        "a smaller architecture within the budget, or distil this model into a student "
        "that fits (and quantize it: int8 weights take a quarter of float32)",
        params=model.params,
        mib=round(mib, 2),
    )


RULE = rule(
    code="A104",
    name="model-over-deployment-budget",
    severity=Severity.INFO,
    summary="The model is larger than the deployment budget set in the options",
    tip=22,
    options={"max-params": 0, "max-mib": 0.0},
    doc=__doc__,
    implementations=(model_over_deployment_budget,),
)
