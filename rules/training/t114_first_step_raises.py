"""
## What it does
At the first training step, before stopping the script, nncheck runs Keras' own forward
pass and loss (`test_on_batch`, which changes no weight) on the first rows of the data
that `fit()` or `train_on_batch()` received, and reports what it raises: targets whose
structure or shape does not match the model's outputs (a single array for a model with two
outputs, a rank that the loss cannot take), inputs the model cannot run on, labels the loss
rejects. When a more specific rule names the cause (M101 to M106, D103, D106), that
rule's finding is reported instead.

## Why is this bad?
The run stops at its first batch, after everything the script did before training
(loading and preprocessing the data, building the model) has already taken its time.

## Example
```python
model = keras.Model(inputs, [scores, boxes])  # two outputs
model.fit(x, y)                               # one target array
```

## Use instead
```python
model.fit(x, [y_scores, y_boxes])  # one target per output, in order (or a dict by name)
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


def first_step_raises(train: TrainFacts) -> Iterator[Violation]:
    if train.first_step_error is None:
        return
    yield at_site(
        train.site,
        f"Keras' own training step raises on the first batch: {train.first_step_error}; "
        f"{train.entry}() would stop there",
        _fix(train.first_step_error),
        error=train.first_step_error,
    )


def _fix(error: str) -> str:
    if "structure" in error or "target" in error or "y_true" in error:
        return (
            "give one target per model output (a list in output order, or a dict by output "
            "name), each shaped as the loss expects"
        )
    if "incompatible" in error or "Input" in error:
        return "feed inputs shaped and typed as the model's keras.Input declares"
    return "fix what the error names: it is what the first batch of the run would raise"


RULE = rule(
    code="T114",
    name="first-step-raises",
    severity=Severity.ERROR,
    summary="Keras' own training step raises on the script's first batch",
    doc=__doc__,
    implementations=(first_step_raises,),
)
