"""
## What it does
Checks that a hidden `Dense` layer's `units` is a multiple of 8 (float16/bfloat16) or 4
(float32).

## Example
```python
layers.Dense(50, activation="relu")
```

## Use instead
```python
layers.Dense(52, activation="relu")  # or 48
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts import keras_api as api
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import TENSOR_CORE_ALIGNMENT_DOC, live_misaligned_widths, static_misaligned_widths

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def dense_width_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    yield from static_misaligned_widths(source, api.DENSE_LAYERS, options["min-width"])


def dense_width_not_aligned_live(model: ModelFacts, options: dict) -> Iterator[Violation]:
    yield from live_misaligned_widths(
        model, {"Dense", "EinsumDense", "Linear"}, options["min-width"]
    )


RULE = rule(
    code="M301",
    name="dense-width-not-aligned",
    severity=Severity.WARNING,
    summary="Dense units not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-width": 16},
    fix="unsafe",
    frameworks=("keras", "pytorch"),
    doc=__doc__ + TENSOR_CORE_ALIGNMENT_DOC,
    implementations=(
        dense_width_not_aligned_live,
        dense_width_not_aligned,
    ),
)
