"""
## What it does
Flags the first 2-D convolution of a mixed-precision model when its input has 3 channels
(RGB images), as advice.

## Why is this bad?
Tensor-Core convolution kernels want the input channels to be a multiple of 8 in
float16 (cuDNN can use a special path for 4 channels in NHWC). With 3 channels the first
convolution runs on a slower path; padding the images with a zero channel to 4 is a
known speed-up for the first layer. It only matters when that layer is a noticeable
share of the step, hence info.

## Example
```python
keras.Input((224, 224, 3))  # mixed_float16
```

## Use instead
```python
images = tf.pad(images, [[0, 0], [0, 0], [0, 0], [0, 1]])  # 4 channels, in the pipeline
keras.Input((224, 224, 4))
```

## References
NVIDIA Deep Learning Performance Guide, "Convolutional Layers": channels in multiples of
8 (FP16); NVIDIA cuDNN documentation on NHWC with C=4.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_layer

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts


def three_channel_input_unpadded(model: ModelFacts) -> Iterator[Violation]:
    first = next(
        (layer for layer in model.layers if layer.kind in {"Conv2D", "Convolution2D"}), None
    )
    if first is None or first.site is None or first.input_channels != 3:
        return
    if first.compute_dtype not in {"float16", "bfloat16"}:
        return
    yield at_layer(
        first,
        f"the first convolution '{first.name}' reads 3 input channels in {first.compute_dtype}: "
        "Tensor-Core kernels want 4 or 8, so this layer runs on a slower path",
        "pad the images to 4 channels in the input pipeline: tf.pad(images, [[0, 0], "
        "[0, 0], [0, 0], [0, 1]])",
    )


RULE = rule(
    code="M305",
    name="three-channel-input-unpadded",
    severity=Severity.INFO,
    summary="A 3-channel first convolution in float16 could be padded to 4 channels",
    tip=15,
    doc=__doc__,
    implementations=(three_channel_input_unpadded,),
)
