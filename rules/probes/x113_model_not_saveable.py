"""
## What it does
The same save/load round trip as X110, for a script that never saves its model (no
`ModelCheckpoint`, no `model.save`, `save_model` or `export` in its source): the model
cannot be saved and loaded back as it is written.

## Why is this bad?
Nothing breaks in this script today, so it is information, not a defect: the day a
checkpoint or an export is added, it fails, typically at the end of a long run. The fix
is the same as X110's.

## Example
```python
layers.Lambda(lambda t: t * 2.0)  # load_model refuses a Python lambda
```

## Use instead
```python
@keras.saving.register_keras_serializable()
def double(t):
    return t * 2.0

layers.Lambda(double)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Checkpoint
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, round_trip_fix, saves_the_model

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def model_not_saveable(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    result = probes.measured(Checkpoint)
    if result is None or result.ok or saves_the_model(train, source):
        return
    yield at_site(
        train.site,
        f"this model cannot be saved and loaded back ({result.how}): {result.error}; the "
        "script does not save it, so nothing fails today, but a checkpoint or export would",
        round_trip_fix(result),
    )


RULE = rule(
    code="X113",
    name="model-not-saveable",
    severity=Severity.INFO,
    summary="The model cannot be saved and loaded back, and the script does not save it",
    tip=13,
    doc=__doc__,
    implementations=(model_not_saveable,),
)
