"""
## What it does
Advice: when the whole training set (not a sample) has fewer than 5,000 images, or
fewer than 5,000 token sequences feeding an Embedding, and every layer of the model is
built from scratch, suggests a pretrained backbone or pretrained embeddings. Only for
classifiers (class labels): an autoencoder or a regressor is left alone.

## Why is this bad?
A few thousand samples rarely teach a network good low-level features; a backbone
trained on millions of images (or embeddings trained on billions of tokens) gives better
accuracy, faster, and overfits less. It is advice, never a build failure.

## Example
```python
model = keras.Sequential([keras.Input((224, 224, 3)), layers.Conv2D(32, 3), ...])
model.fit(x_train, y_train)  # 1,800 images
```

## Use instead
```python
base = keras.applications.EfficientNetB0(include_top=False, weights="imagenet")
base.trainable = False
```

## Options
`max-samples` (5000): the training-set size below which the advice is given.

## References
Tip 11 of the training tips (embeddings from other models); tip 17 (transfer learning).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import CLASS_LABEL_KINDS, at_site, data_file_training, embeds_tokens, is_image

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def small_data_from_scratch(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if data.truncated or model.pretrained_parts or data.samples >= options["max-samples"]:
        return
    if not any(t.kind in CLASS_LABEL_KINDS for t in data.targets):
        return  # a pretrained backbone helps a classifier; not an autoencoder or a regressor
    has_embedding = embeds_tokens(model)
    for stats in data.inputs:
        image = is_image(stats)
        text = has_embedding and stats.integer_valued and len(stats.shape) == 1
        if image or text:
            kind = "images" if image else "token sequences"
            suggestion = (
                "a keras.applications backbone with weights='imagenet'"
                if image
                else "pretrained embeddings (e.g. a KerasHub text backbone)"
            )
            yield at_site(
                train.site,
                f"the model learns from scratch on {data.samples:,} {kind}: {suggestion} "
                "usually does better with this little data",
                f"start from {suggestion}, frozen at first",
                samples=data.samples,
            )
            return


RULE = rule(
    code="A101",
    name="small-data-from-scratch",
    severity=Severity.INFO,
    summary="A small image or text set trained from scratch",
    tip=11,
    options={"max-samples": 5_000},
    doc=__doc__,
    implementations=(
        small_data_from_scratch,
        stand_in(small_data_from_scratch, train=data_file_training),
    ),
)
