"""
## What it does
Flags convolution and pooling layers built in your code with
`data_format="channels_first"`.

## Why is this bad?
NVIDIA's Tensor-Core convolutions run natively in NHWC (channels_last); NCHW tensors are
transposed around every such layer, which costs time and memory on the GPU (and the CPU
kernels of TensorFlow do not support NCHW convolutions at all).

## Example
```python
layers.Conv2D(64, 3, data_format="channels_first")
```

## Use instead
```python
layers.Conv2D(64, 3)  # channels_last, Keras' default
```

## References
NVIDIA Deep Learning Performance Guide, "Tensor Layouts in Memory: NCHW vs NHWC".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_layer

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def channels_first_layout(model: ModelFacts) -> Iterator[Violation]:
    for layer in model.layers:
        if layer.data_format == "channels_first" and layer.site is not None:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' uses data_format='channels_first': Tensor-Core "
                "convolutions run in channels_last (NHWC), so every call is transposed",
                "data_format='channels_last' (the default), with inputs as (batch, H, W, C)",
            )


RULE = rule(
    code="M306",
    name="channels-first-layout",
    severity=Severity.WARNING,
    summary="Convolutions in channels_first (NCHW) layout",
    tip=15,
    doc=__doc__,
    implementations=(channels_first_layout,),
)
