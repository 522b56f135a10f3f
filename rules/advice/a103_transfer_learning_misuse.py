"""
## What it does
Reads how the script uses a `keras.applications` backbone built with pretrained weights
(`weights="imagenet"`, the default):

- its inputs go through the `preprocess_input` of a family that scales pixels another
  way (`mobilenet_v2.preprocess_input`, to [-1, 1], in front of a `ResNet50`, which expects
  caffe-style mean subtraction; anything in front of an `EfficientNet`, which rescales
  inside and expects 0-255);
- it is never frozen (no `trainable = False` anywhere in the script) while the new head
  trains with it from the first step at a learning rate of 1e-3 or more (Adam's default).

## Why is this bad?
A backbone fed inputs on another scale than it was trained on computes features of
little use, and the model trains as if from a poor initialisation. A fresh head's random
gradients at a normal learning rate flow into the pretrained layers and wreck their
features in the first steps; the standard recipe trains the head on a frozen base first,
then fine-tunes everything at a learning rate 10-100x lower, with BatchNormalization kept
in inference mode (`base(x, training=False)`).

## Example
```python
base = keras.applications.ResNet50(include_top=False)
x = keras.applications.mobilenet_v2.preprocess_input(inputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
```

## Use instead
```python
base = keras.applications.ResNet50(include_top=False)
base.trainable = False
x = keras.applications.resnet.preprocess_input(inputs)
x = base(x, training=False)
```
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nncheck.facts.evaluate import MISSING, CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, compiled_learning_rate

# keras.applications constructor -> the module whose preprocess_input it expects
FAMILIES = (
    (re.compile(r"ResNet\d+V2$"), "resnet_v2"),
    (re.compile(r"ResNet\d+$"), "resnet"),
    (re.compile(r"MobileNetV3"), "mobilenet_v3"),
    (re.compile(r"MobileNetV2$"), "mobilenet_v2"),
    (re.compile(r"MobileNet$"), "mobilenet"),
    (re.compile(r"EfficientNetV2"), "efficientnet_v2"),
    (re.compile(r"EfficientNetB\d$"), "efficientnet"),
    (re.compile(r"VGG16$"), "vgg16"),
    (re.compile(r"VGG19$"), "vgg19"),
    (re.compile(r"InceptionResNetV2$"), "inception_resnet_v2"),
    (re.compile(r"InceptionV3$"), "inception_v3"),
    (re.compile(r"Xception$"), "xception"),
    (re.compile(r"DenseNet\d+$"), "densenet"),
    (re.compile(r"NASNet"), "nasnet"),
    (re.compile(r"ConvNeXt"), "convnext"),
    (re.compile(r"RegNet"), "regnet"),
)
# How each module's preprocess_input scales pixels: modules of one scaling are
# interchangeable; "none" models rescale inside and expect 0-255.
SCALING = {
    "vgg16": "caffe",
    "vgg19": "caffe",
    "resnet": "caffe",
    "resnet50": "caffe",
    "mobilenet": "tf",
    "mobilenet_v2": "tf",
    "inception_v3": "tf",
    "inception_resnet_v2": "tf",
    "xception": "tf",
    "nasnet": "tf",
    "resnet_v2": "tf",
    "densenet": "torch",
    "efficientnet": "none",
    "efficientnet_v2": "none",
    "convnext": "none",
    "regnet": "none",
    "mobilenet_v3": "none",
}
HIGH_RATE = 1e-3


def _family(call: CallSite) -> str | None:
    name = (call.qualname or "").removeprefix("keras.applications.")
    if "." in name or name == (call.qualname or ""):
        return None  # not a constructor of keras.applications itself
    return next((family for pattern, family in FAMILIES if pattern.search(name)), None)


def _name(call: CallSite) -> str:
    return (call.qualname or "").rpartition(".")[2]


def _pretrained(call: CallSite) -> bool:
    weights = call.arg("weights")
    return weights is MISSING or weights == "imagenet"


def _freezes_something(source: SourceFacts) -> bool:
    """Any ``<something>.trainable = False`` in the script (a base, or layers in a loop)."""
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            frozen = node.value.value is False
            if frozen and any(
                isinstance(t, ast.Attribute) and t.attr == "trainable" for t in node.targets
            ):
                return True
    return False


def transfer_learning_misuse(source: SourceFacts) -> Iterator[Violation]:
    bases = [(c, f) for c in source.calls if (f := _family(c)) is not None and _pretrained(c)]
    if not bases:
        return
    families = {family for _, family in bases}
    scalings = {SCALING[family] for family in families}
    for call in source.calls:
        module = (call.qualname or "").removeprefix("keras.applications.")
        if not module.endswith(".preprocess_input"):
            continue
        module = module.removesuffix(".preprocess_input")
        if module in SCALING and SCALING[module] not in scalings:
            base, family = bases[0]
            yield at(
                call,
                f"{module}.preprocess_input scales pixels for another family than the "
                f"pretrained {_name(base)} (line {base.line}) expects: "
                "the backbone sees inputs on another scale than it was trained on",
                f"keras.applications.{family}.preprocess_input",
                family=family,
                preprocessing=module,
            )
    if _freezes_something(source):
        return
    for compile_call in source.method_calls("compile"):
        rate = compiled_learning_rate(source, compile_call)
        if rate is None or rate < HIGH_RATE:
            continue
        base, _ = bases[0]
        yield at(
            compile_call,
            f"the pretrained {_name(base)} (line {base.line}) is never "
            f"frozen and trains with a new head from the first step at learning rate "
            f"{rate:g}: the head's random gradients wreck the pretrained features",
            "base.trainable = False while the head trains; then unfreeze and fine-tune at a "
            "learning rate 10-100x lower, calling base(x, training=False)",
            learning_rate=rate,
        )
        return


RULE = rule(
    code="A103",
    name="transfer-learning-misuse",
    severity=Severity.WARNING,
    summary="A pretrained backbone preprocessed for another family, or never frozen",
    tip=17,
    doc=__doc__,
    implementations=(transfer_learning_misuse,),
)
