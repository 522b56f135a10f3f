"""
## What it does
Flags image inputs (samples of shape height x width x 1, 3 or 4 channels, or height x
width of uint8, as `keras.datasets.mnist` loads grayscale images) whose pixel
values are whole numbers between 0 and 255 when the model applies no preprocessing
before its first weighted layer (no Rescaling, Normalization, Lambda or
`preprocess_input`). Data already divided by 255, and models that rescale inside, stay
quiet. In PyTorch it reads what the first convolution is given on the first step's batch
(channels first), after the Dataset's transforms and `forward()`.

## Why is this bad?
Raw pixel values make the first convolution's activations hundreds of times larger than
its initialisation expects: training is slow, unstable, or diverges.

## Example
```python
(x, y), _ = keras.datasets.cifar10.load_data()
model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 3), ...])
```

## Use instead
```python
model = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255),
                          layers.Conv2D(32, 3), ...])
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, fmt_number, is_image

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def unscaled_image_data(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    if model.framework == "pytorch":
        yield from _raw_pixels_at_first_conv(model, train)
        return
    if model.preprocessing_at_input:
        return
    for stats in data.inputs:
        if not is_image(stats, or_uint8_grayscale=True) or stats.max is None or stats.min is None:
            continue
        if stats.integer_valued and stats.min >= 0 and 1 < stats.max <= 255:
            yield at_site(
                train.site,
                f"input '{stats.name}' holds raw pixel values ({fmt_number(stats.min)} to "
                f"{fmt_number(stats.max)}, shape {tuple(stats.shape)}) and the model does not "
                "rescale them",
                "layers.Rescaling(1.0 / 255) as the model's first layer",
                pixel_range=[stats.min, stats.max],
            )


def _raw_pixels_at_first_conv(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    """PyTorch: what the first convolution was given on the first step's batch (channels
    first: 1, 3 or 4 x height x width), after the Dataset's transforms and forward()."""
    stats = model.first_layer_input
    first = model.layers[0] if model.layers else None
    if stats is None or first is None or not first.kind.startswith("Conv"):
        return
    if len(stats.shape) != 3 or stats.shape[0] not in (1, 3, 4) or min(stats.shape[1:]) < 8:
        return
    if stats.min is None or stats.max is None:
        return
    if stats.integer_valued and stats.min >= 0 and 1 < stats.max <= 255:
        yield at_site(
            train.site,
            f"layer '{first.name}' ({first.kind}) is given raw pixel values "
            f"({fmt_number(stats.min)} to {fmt_number(stats.max)}, shape "
            f"{tuple(stats.shape)}) on the first batch",
            "transforms.ToTensor() (or v2.ToDtype(torch.float32, scale=True)) to scale to "
            "[0, 1], then transforms.Normalize(mean, std)",
            pixel_range=[stats.min, stats.max],
        )


RULE = rule(
    code="D202",
    name="unscaled-image-data",
    severity=Severity.WARNING,
    summary="0-255 image data with no Rescaling or Normalization",
    tip=21,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        unscaled_image_data,
        stand_in(unscaled_image_data, train=data_file_training),
    ),
)
