"""
## What it does
Detects multi-hot labels (rows of 0/1 with more than one 1) trained with a softmax
output or a categorical cross-entropy loss. In PyTorch: multi-hot float targets given to
`nn.CrossEntropyLoss` / `F.cross_entropy`, which reads each row as one distribution.

## Why is this bad?
Softmax makes the classes compete for one unit of probability: with two true labels the
best it can do is 0.5 each, and categorical cross-entropy rewards that. Independent labels
need one sigmoid per label and binary cross-entropy.

## Example
```python
y = mlb.fit_transform(tags)  # several tags per sample
outputs = layers.Dense(n_tags, activation="softmax")(x)
model.compile(loss="categorical_crossentropy")
```

## Use instead
```python
outputs = layers.Dense(n_tags, activation="sigmoid")(x)
model.compile(loss="binary_crossentropy")
```

## References
Tip 19 of the training tips (sigmoid for multi-label).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts import keras_api as api
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, output_location, single_output, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, OutputFacts, TargetStats, TrainFacts


def softmax_on_multi_label(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or target.kind != "multi_hot":
        return
    output, loss = single
    kind = api.PROBABILITY_LOSSES.get(loss)
    if model.framework == "pytorch":
        yield from _torch_cross_entropy_on_multi_hot(model, output, loss, target, train)
        return
    if output.activation != "softmax" and kind != "categorical":
        return
    if output.activation == "softmax" and kind == "binary":
        return  # softmax with binary cross-entropy: M102 names that mismatch and its fix
    yield at_site(
        output.site or train.site,
        f"the labels are multi-hot ({len(target.classes)} labels, several per sample), but "
        f"{output_location(output)} uses {output.activation} with {loss}: the labels compete "
        "instead of being scored independently",
        "activation='sigmoid' on the output and loss='binary_crossentropy'",
        activation=output.activation,
        loss=loss,
    )


def _torch_cross_entropy_on_multi_hot(
    model: ModelFacts, output: OutputFacts, loss: str, target: TargetStats, train: TrainFacts
) -> Iterator[Violation]:
    """PyTorch: multi-hot float targets given to nn.CrossEntropyLoss, which reads them as
    one probability distribution per sample (a softmax over the labels)."""
    if loss != "categorical_crossentropy" or not model.losses[0].from_logits:
        return
    yield at_site(
        output.site or train.site,
        f"the labels are multi-hot ({len(target.classes)} labels, several per sample), but "
        "nn.CrossEntropyLoss applies a softmax across them and reads each row as one "
        "distribution: the labels compete instead of being scored independently",
        "nn.BCEWithLogitsLoss() on the same logits (one sigmoid per label)",
        activation="softmax",
        loss=loss,
    )


RULE = rule(
    code="M101",
    name="softmax-on-multi-label",
    severity=Severity.ERROR,
    summary="Multi-hot labels with softmax or categorical cross-entropy",
    tip=19,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        softmax_on_multi_label,
        stand_in(softmax_on_multi_label, train=data_file_training),
    ),
)
