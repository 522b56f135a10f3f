"""
## What it does
Follows the data given to `fit(validation_data=...)` back through its `tf.data` steps and
fires when one of its `map()` functions augments at random: it calls a `tf.image.random_*`
or `stateless_random_*` op, a Keras `Random*` preprocessing layer (`RandomFlip`,
`RandomRotation`, ...; directly or inside a `Sequential`), `RandAugment`, `MixUp`,
`CutMix` or `AugMix`, or one of the script's own functions that does. A Keras 2
`ImageDataGenerator` with random transformations (`rotation_range`, `horizontal_flip`, ...)
whose `flow*()` feeds validation counts too (the `subset="validation"` half of one
augmenting generator is the usual case). Maps the code does not show certainly (a step
inside an `if`) are left alone.

## Why is this bad?
Validation measures how the model does on data it will meet, and that data is not flipped,
rotated or mixed. Augmented validation images make `val_loss` and `val_accuracy` noisy and
pessimistic, so EarlyStopping, ReduceLROnPlateau and the best checkpoint choose epochs by
that noise, and the numbers reported for the model are not the model's.

## Example
```python
augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
train_ds = train_ds.map(lambda x, y: (augment(x), y))
val_ds = val_ds.map(lambda x, y: (augment(x), y))
model.fit(train_ds, validation_data=val_ds, epochs=30)
```

## Use instead
```python
train_ds = train_ds.map(lambda x, y: (augment(x), y))
model.fit(train_ds, validation_data=val_ds, epochs=30)  # validation as it comes
```
Or put the `Random*` layers inside the model: Keras applies them in training only.

## References
https://www.tensorflow.org/tutorials/images/data_augmentation
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nncheck.facts.evaluate import MISSING, CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, map_function_call

RANDOM_IMAGE_OP = re.compile(r"^tensorflow\.image\.(stateless_)?random_\w+$")
AUGMENTING_LAYER = re.compile(r"^(Random[A-Z]\w*|RandAugment|AugMix|CutMix|MixUp)$")
# ImageDataGenerator arguments that transform each image at random (rescale does not)
RANDOM_GENERATOR_ARGS = (
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "brightness_range",
    "shear_range",
    "zoom_range",
    "channel_shift_range",
    "horizontal_flip",
    "vertical_flip",
)
GENERATOR_FLOWS = {"flow", "flow_from_directory", "flow_from_dataframe"}


def augmented_validation_data(source: SourceFacts) -> Iterator[Violation]:
    seen: set[int] = set()
    for fit in source.fits:
        value = fit.arg("validation_data")
        generator = _augmenting_generator(value)
        if generator is not None and id(generator) not in seen:
            seen.add(id(generator))
            yield at(
                value,
                f"the validation data comes from an ImageDataGenerator with random "
                f"{', '.join(_random_args(generator))} (line {generator.line}): validation "
                "scores are measured on randomly transformed images",
                "a second ImageDataGenerator for validation with the same rescale and no "
                "random transformations",
            )
        for step in source.dataset_steps(value):
            if step.method != "map" or id(step) in seen:
                continue
            seen.add(id(step))
            augmenting = map_function_call(source, step, _augments)
            if augmenting is not None:
                yield at(
                    step,
                    f"the validation pipeline maps a random augmentation ({augmenting.text()}() "
                    f"at line {augmenting.line}): validation scores are measured on randomly "
                    "changed samples, and EarlyStopping and checkpoints choose by that noise",
                    "augment the training pipeline only, or put the Random* layers inside the "
                    "model (Keras applies them in training only)",
                )


def _augmenting_generator(value: object) -> CallSite | None:
    if not isinstance(value, CallSite) or value.method not in GENERATOR_FLOWS:
        return None
    receiver = value.receiver
    if isinstance(receiver, CallSite) and (receiver.qualname or "").endswith(".ImageDataGenerator"):
        return receiver if _random_args(receiver) else None
    return None


def _random_args(generator: CallSite) -> list[str]:
    """The generator's arguments that certainly transform at random (literal, not 0/False)."""
    found = []
    for name in RANDOM_GENERATOR_ARGS:
        value = generator.arg(name)
        if value is not MISSING and isinstance(value, int | float | list | tuple) and value:
            found.append(name)
    return found


def _augments(call: CallSite) -> bool:
    return bool(RANDOM_IMAGE_OP.match(call.qualname or "")) or _is_augmenting_layer(call)


def _is_augmenting_layer(call: CallSite) -> bool:
    """A Keras Random* layer, or a Sequential that holds one."""
    qualname = call.qualname or ""
    if not qualname.startswith(("keras.", "keras_cv.", "keras_hub.")):
        return False
    if AUGMENTING_LAYER.match(qualname.rpartition(".")[2]):
        return True
    if qualname == "keras.Sequential" or qualname.endswith(".Sequential"):
        layers = call.arg("layers", 0)
        return isinstance(layers, list | tuple) and any(
            isinstance(layer, CallSite) and _is_augmenting_layer(layer) for layer in layers
        )
    return False


RULE = rule(
    code="P105",
    name="augmented-validation-data",
    severity=Severity.WARNING,
    summary="The validation data passes through random augmentation",
    tip=9,
    doc=__doc__,
    implementations=(augmented_validation_data,),
)
