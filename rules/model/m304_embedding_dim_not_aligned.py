"""
## What it does
Checks that an `Embedding` layer's `output_dim` (built in your code) is a multiple of 8
when it computes in float16/bfloat16, or of 4 in float32, when the embeddings reach a
layer that multiplies them by a weight matrix (`Dense`, `EinsumDense`, a recurrent layer,
`Conv1D`, `MultiHeadAttention`), directly or through dropout, normalisation, masking,
global pooling or an `Add`. Embeddings that only meet in a `Dot`, or whose consumers are
not visible (a subclassed model's `call()`), have no matrix multiply to align.

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
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import live_misaligned_widths

if TYPE_CHECKING:
    from nncheck.facts.live import LayerFacts, ModelFacts

# layers whose inner dimension is the embedding dimension of what they receive
MATMUL_CONSUMERS = {
    "Dense",
    "EinsumDense",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "Bidirectional",
    "Conv1D",
    "MultiHeadAttention",
    "TimeDistributed",
}
# layers that hand the embedding dimension on unchanged
KEEPS_LAST_AXIS = {
    "Dropout",
    "SpatialDropout1D",
    "GaussianNoise",
    "LayerNormalization",
    "BatchNormalization",
    "Masking",
    "Activation",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "Add",
    "Average",
    "Maximum",
}


def embedding_dim_not_aligned(model: ModelFacts, options: dict) -> Iterator[Violation]:
    if not model.graph_visible:
        return
    consumers: dict[str, list[LayerFacts]] = {}
    for layer in model.layers:
        for source in layer.inputs:
            consumers.setdefault(source, []).append(layer)
    found = live_misaligned_widths(model, {"Embedding"}, options["min-width"])
    yield from (v for v in found if v.layer and _feeds_a_matmul(consumers, v.layer))


def _feeds_a_matmul(consumers: dict[str, list[LayerFacts]], name: str) -> bool:
    """Whether the output of layer ``name`` reaches a weight matrix with its last axis
    (``consumers``: the layers that take each layer's output, by its name)."""
    frontier, seen = [name], {name}
    while frontier:
        for consumer in consumers.get(frontier.pop(), []):
            if consumer.kind in MATMUL_CONSUMERS:
                return True
            if consumer.kind in KEEPS_LAST_AXIS and consumer.name not in seen:
                seen.add(consumer.name)
                frontier.append(consumer.name)
    return False


RULE = rule(
    code="M304",
    name="embedding-dim-not-aligned",
    severity=Severity.WARNING,
    summary="Embedding dimension not a multiple of the Tensor-Core size",
    tip=15,
    options={"min-width": 16},
    fix="unsafe",
    doc=__doc__,
    implementations=(embedding_dim_not_aligned,),
)
