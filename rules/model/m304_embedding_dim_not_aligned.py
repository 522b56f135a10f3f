"""
## What it does
Checks that an `Embedding` layer's `output_dim` (built in your code) is a multiple of 8
when it computes in float16/bfloat16, or of 4 in float32.

## Why is this bad?
The embedding dimension is the inner dimension of every layer that consumes the
embeddings; a misaligned one makes all of them run Tensor Cores less efficiently.

## Example
```python
layers.Embedding(20_000, 50)
```

## Use instead
```python
layers.Embedding(20_000, 48)  # or 56
```

## Options
`min-width` (16): narrower embeddings are exempt.

## References
NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1.
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import ModelFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import live_misaligned_widths


def embedding_dim_not_aligned(model: ModelFacts, options: dict) -> Iterator[Violation]:
    yield from live_misaligned_widths(model, {"Embedding"}, options["min-width"])


RULE = rule(
    code="M304",
    name="embedding-dim-not-aligned",
    severity=Severity.WARNING,
    summary="Embedding dimension not a multiple of the Tensor-Core size",
    tip=15,
    options={"min-width": 16},
    doc=__doc__,
    implementations=(embedding_dim_not_aligned,),
)
