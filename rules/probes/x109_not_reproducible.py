"""
## What it does
Runs the script twice up to its first training step (the second run at the same time
as the first, in its own process), with nncheck seeding every generator differently
before each run starts, and compares a digest of the weights each built: only the
script's own seeding can make them agree. Fires when the script seeds (T109 is silent)
and the weights still differ: the seeding comes too late or misses a generator.

## Why is this bad?
Without repeatable runs a change cannot be told apart from noise, and a good result
cannot be reproduced.

## Example
```python
model = build_model()
keras.utils.set_random_seed(42)  # after the weights were drawn
```

## Use instead
```python
keras.utils.set_random_seed(42)  # first, before any layer is built
model = build_model()
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def not_reproducible(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    if probes.twin_fingerprint is None or probes.fingerprint == probes.twin_fingerprint:
        return
    if not source.seeded:
        return  # no seeding at all: T109 says so
    yield at_site(
        train.site,
        "two runs of this script built different initial weights (weight digests "
        f"{probes.fingerprint} and {probes.twin_fingerprint}) although it seeds: the seed is "
        "set too late or a random generator is not covered",
        (
            "call torch.manual_seed(SEED) at the top, before the model is built "
            "(Lightning: L.seed_everything(SEED))"
            if probes.backend == "pytorch"
            else "call keras.utils.set_random_seed(SEED) at the top, before any layer is built"
        ),
    )


RULE = rule(
    code="X109",
    name="not-reproducible",
    severity=Severity.WARNING,
    summary="Two runs of the script build different initial weights despite seeding",
    tip=3,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(not_reproducible,),
)
