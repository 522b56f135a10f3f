"""
## What it does
Checks that a convolution's `filters` (Conv1D/2D/3D, transposed and separable
convolutions) is a multiple of 8 (float16/bfloat16) or 4 (float32).

## Example
```python
layers.Conv2D(50, 3, activation="relu")
```

## Use instead
```python
layers.Conv2D(48, 3, activation="relu")  # or 56
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


def conv_filters_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    yield from static_misaligned_widths(source, api.CONV_LAYERS, options["min-width"])


# PyTorch's convolution modules (Keras' are in api.CONV_LAYERS)
TORCH_CONVOLUTIONS = {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d"}


def conv_filters_not_aligned_live(model: ModelFacts, options: dict) -> Iterator[Violation]:
    kinds = {k.rpartition(".")[2] for k in api.CONV_LAYERS} | TORCH_CONVOLUTIONS
    yield from live_misaligned_widths(model, kinds, options["min-width"])


RULE = rule(
    code="M302",
    name="conv-filters-not-aligned",
    severity=Severity.WARNING,
    summary="Convolution filters not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-width": 16},
    fix="unsafe",
    frameworks=("keras", "pytorch"),
    doc=__doc__ + TENSOR_CORE_ALIGNMENT_DOC,
    implementations=(
        conv_filters_not_aligned_live,
        conv_filters_not_aligned,
    ),
)
