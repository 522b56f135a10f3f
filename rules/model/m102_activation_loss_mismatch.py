"""
## What it does
Compares the output layer's activation with the compiled loss, where both are literal:
softmax with `binary_crossentropy` over several units, sigmoid with (sparse) categorical
cross-entropy, and softmax over a single unit. In PyTorch: `nn.CrossEntropyLoss` (or
`F.cross_entropy`) on a 1-unit output, a softmax over one class (the other PyTorch
mismatches are M109's and M110's).

## Why is this bad?
Softmax makes the outputs compete (they sum to 1), which is right for one label per
sample with categorical cross-entropy and wrong for independent labels. Binary
cross-entropy treats each unit as its own yes/no question and wants sigmoid. Categorical
cross-entropy expects a distribution, which sigmoid outputs are not. Softmax over one
unit always outputs 1.0: the model cannot learn anything. Each trains silently to a
poor model.

## Example
```python
model = keras.Sequential([..., layers.Dense(5, activation="softmax")])
model.compile(loss="binary_crossentropy")  # multi-label targets
```

## Use instead
```python
model = keras.Sequential([..., layers.Dense(5, activation="sigmoid")])
model.compile(loss="binary_crossentropy")
```
or, for one label per sample, keep softmax with `categorical_crossentropy`.

## References
Tip 19 of the training tips (sigmoid for multi-label).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts import keras_api as api
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    compiled_output_problems,
    data_file_training,
    output_location,
    single_output,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, OutputFacts, TrainFacts


def activation_loss_mismatch(source: SourceFacts) -> Iterator[Violation]:
    yield from compiled_output_problems(
        source, lambda c: _activation_loss_problem(c.activation, c.units, c.loss, c.where)
    )


def _activation_loss_problem(
    activation: Any, units: Any, loss: str, where: str
) -> tuple[str, str, dict[str, Any]] | None:
    """The M102 judgement, shared by the static and the live rule."""
    kind = api.PROBABILITY_LOSSES.get(loss)
    data = {
        "activation": activation,
        "units": units if isinstance(units, int) else None,
        "loss": loss,
    }
    if activation == "softmax" and units == 1:
        return (
            f"{where} is a softmax over a single unit, which always outputs 1.0: the model "
            "cannot learn",
            "activation='sigmoid' on the 1-unit output (binary task), or one unit per class "
            "with softmax",
            data,
        )
    if activation == "softmax" and kind == "binary" and isinstance(units, int):
        return (
            f"{where} applies softmax over {units} units, but the loss is {loss}: softmax "
            "makes the units compete, binary cross-entropy scores each one independently",
            "multi-label: activation='sigmoid'; one label per sample: "
            "loss='categorical_crossentropy'",
            data,
        )
    if activation == "sigmoid" and kind == "categorical":
        return (
            f"{where} applies sigmoid, but the loss is {loss}: categorical cross-entropy "
            "expects a probability distribution over classes, and sigmoid outputs do not "
            "sum to 1",
            "one label per sample: activation='softmax'; multi-label: loss='binary_crossentropy'",
            data,
        )
    return None


def activation_loss_mismatch_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None:
        return
    output, loss = single
    if model.framework == "pytorch":
        yield from _one_class_cross_entropy(model, output, loss, train)
        return
    problem = _activation_loss_problem(
        output.activation, output.units, loss, output_location(output)
    )
    if problem:
        message, fix, data = problem
        yield at_site(output.site or train.site, message, fix, **data)


def _one_class_cross_entropy(
    model: ModelFacts, output: OutputFacts, loss: str, train: TrainFacts
) -> Iterator[Violation]:
    """PyTorch: nn.CrossEntropyLoss over a single output unit (a softmax over one class:
    the loss is 0 whatever the model does). The other mismatches are M109's and M110's."""
    logits = model.losses[0].from_logits
    if not logits or output.units != 1 or output.activation != "linear":
        return
    if loss not in {"categorical_crossentropy", "sparse_categorical_crossentropy"}:
        return
    yield at_site(
        output.site or train.site,
        f"{output_location(output)} has 1 unit and nn.CrossEntropyLoss applies a softmax over "
        "it: the softmax of one logit is always 1.0, so the loss is 0 and no weight gets a "
        "gradient",
        "a binary task: nn.BCEWithLogitsLoss on the 1-unit output (float 0/1 targets); "
        "otherwise one output unit per class",
        activation="softmax",
        units=1,
        loss=loss,
    )


RULE = rule(
    code="M102",
    name="activation-loss-mismatch",
    severity=Severity.ERROR,
    summary="Output activation does not fit the loss",
    tip=19,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        activation_loss_mismatch_live,
        activation_loss_mismatch,
        stand_in(activation_loss_mismatch_live, train=data_file_training),
    ),
)
