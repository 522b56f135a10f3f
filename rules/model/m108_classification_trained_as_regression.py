"""
## What it does
Fires when a single-output model is trained with a regression loss (MSE, MAE, Huber,
log-cosh) on what are class labels in the captured data:

- 0/1 labels or one-hot rows, with a sigmoid/softmax output or a linear one;
- integer class ids (3 or more classes) on a linear output, when `accuracy` is also
  compiled, which says the task is classification (integer targets alone may be counts or
  ratings, a real regression: then the rule stays quiet).

## Why is this bad?
It trains, and it is a weaker choice than cross-entropy: with a sigmoid or softmax, the
squared error's gradient vanishes exactly where the prediction is most wrong, so learning
is slow; a linear output is not a probability (predictions below 0 and above 1), and
regressing class ids on one unit orders the classes (class 2 is taken to lie between 1
and 3) although they have no order.

## Example
```python
layers.Dense(1, activation="sigmoid")
model.compile(loss="mse")  # y is 0/1
```

## Use instead
```python
layers.Dense(1, activation="sigmoid")
model.compile(loss="binary_crossentropy")
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import REGRESSION_LOSSES, at_site, data_file_training, single_output_and_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

ACCURACY_NAMES = {"accuracy", "acc"}


def classification_trained_as_regression(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    single = single_output_and_target(model, data)
    if single is None:
        return
    output, loss, target = single
    if loss not in REGRESSION_LOSSES:
        return
    activation = output.activation or "linear"
    site = output.site or train.site
    classes = len(target.classes)
    if target.kind == "binary" and output.units == 1:
        better, labels = "binary_crossentropy", "0/1 labels"
        head = "Dense(1, activation='sigmoid')"
    elif target.kind == "one_hot" and output.units == classes:
        better, labels = "categorical_crossentropy", f"one-hot labels of {classes} classes"
        head = f"Dense({classes}, activation='softmax')"
    elif (
        target.kind == "sparse"
        and output.units == 1
        and activation == "linear"
        and classes >= 3
        and ACCURACY_NAMES & set(model.metric_names or [])
    ):
        yield at_site(
            site,
            f"{loss} on {classes} integer class ids regressed on one linear unit, with "
            "accuracy compiled: this orders the classes (class 2 lies between 1 and 3 to "
            "the loss) although they have no order",
            f"layers.Dense({classes}, activation='softmax') with "
            "loss='sparse_categorical_crossentropy'",
            loss=loss,
            labels="sparse",
            classes=classes,
        )
        return
    else:
        return
    if activation in {"sigmoid", "softmax"}:
        why = (
            f"it trains, but with a {activation} the squared error's gradient vanishes where "
            "the prediction is most wrong, so learning is slower than with cross-entropy"
        )
        fix = f"loss='{better}'"
    elif activation == "linear":
        why = (
            "a linear output is not a probability (it goes below 0 and above 1) and "
            "cross-entropy learns faster"
        )
        fix = f"layers.{head} with loss='{better}'"
    else:
        return
    yield at_site(
        site,
        f"{loss} on {labels} with a {activation} output: a classification task trained as "
        f"regression; {why}",
        fix,
        loss=loss,
        labels=target.kind,
        activation=activation,
    )


RULE = rule(
    code="M108",
    name="classification-trained-as-regression",
    severity=Severity.WARNING,
    summary="Class labels trained with a regression loss",
    doc=__doc__,
    implementations=(
        classification_trained_as_regression,
        stand_in(classification_trained_as_regression, train=data_file_training),
    ),
)
