"""
## What it does
Advice for image classifiers (inputs of height x width x 1, 3 or 4 channels, class
labels) trained on fewer than 10,000 images (the whole array fit() receives) with no
augmentation: no `Random*` preprocessing layer anywhere in the model (`RandomFlip`,
`RandomRotation`, `RandomZoom`, ...) and none in the source (`ImageDataGenerator`,
`tf.image.random_*`, a function or layer named like `augment`).

## Why is this bad?
A few thousand images are memorised quickly: the training accuracy climbs while the
validation accuracy stalls. Random flips, crops, rotations and colour changes show the
model a new variant of each image every epoch, which regularises it at no labelling cost.
Augmentation layers inside the model are active only in training, so they never touch
validation or inference.

## Example
```python
model = keras.Sequential([keras.Input((64, 64, 3)), layers.Rescaling(1 / 255), ...])
model.fit(x_train, y_train)  # 2,000 images
```

## Use instead
```python
augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
model = keras.Sequential([keras.Input((64, 64, 3)), augment, layers.Rescaling(1 / 255), ...])
```

## Options
`max-images` (10000): the training-set size below which the advice is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import CLASS_LABEL_KINDS, at_site, is_image

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

# names in the code (not in strings or comments) that augment: Keras' old generator,
# tf.image's random ops, albumentations, anything the user named "augment..."
SOURCE_AUGMENTATION = re.compile(
    r"ImageDataGenerator|^(stateless_)?random_(flip|crop|brightness|contrast|hue|saturation|"
    r"jpeg_quality|zoom|rotation)|augment|albumentations|RandAugment",
    re.IGNORECASE,
)


def small_image_set_without_augmentation(
    model: ModelFacts, data: DataFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    if model.augments or data.length is None or data.length >= options["max-images"]:
        return
    if not any(t.kind in CLASS_LABEL_KINDS for t in data.targets):
        return
    images = [stats for stats in data.inputs if is_image(stats)]
    if not images or any(SOURCE_AUGMENTATION.search(name) for name in source.identifiers):
        return
    yield at_site(
        train.site,
        f"the model trains on {data.length:,} images with no augmentation: a set this small "
        "is memorised quickly, and random flips, crops and rotations regularise it for free",
        "keras.Sequential([layers.RandomFlip('horizontal'), layers.RandomRotation(0.1)]) as "
        "the model's first layer (active in training only)",
        images=data.length,
    )


RULE = rule(
    code="P106",
    name="small-image-set-without-augmentation",
    severity=Severity.INFO,
    summary="A small image classification set trained with no augmentation",
    tip=9,
    options={"max-images": 10_000},
    doc=__doc__,
    implementations=(small_image_set_without_augmentation,),
)
