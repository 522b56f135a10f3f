"""
## What it does
For a model trained with MSE, MAE, Huber or log-cosh, flags continuous targets whose
standard deviation or mean magnitude exceeds 10. In PyTorch it reads the targets the loss
was given at the first step, after whatever the loop did to them.

## Why is this bad?
The output layer starts near zero: with targets in the thousands, the initial loss and
its gradients are huge, the first updates are dominated by moving the output's scale,
and a learning rate that suits the hidden layers is wrong for the output. Standardized
targets train faster and make the loss readable.

## Example
```python
y = df["price"]  # mean 350,000
model.compile(loss="mse")
```

## Use instead
```python
mean, std = y_train.mean(), y_train.std()
model.fit(x, (y_train - mean) / std)   # predictions * std + mean
```

## Options
`max-scale` (10): the largest target standard deviation and mean magnitude that count as
scaled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import REGRESSION_LOSSES, at_site, data_file_training, fmt_number, single_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

# the canonical loss names -> PyTorch's loss classes, for the message
TORCH_LOSS_NAMES = {
    "mean_squared_error": "nn.MSELoss",
    "mean_absolute_error": "nn.L1Loss",
    "huber": "nn.HuberLoss",
}


def unscaled_regression_targets(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    # PyTorch: the targets the loss was given (after the loop's own scaling, if any)
    target = model.loss_target if model.framework == "pytorch" else single_target(data)
    if target is None or target.kind != "continuous" or len(model.losses) != 1:
        return
    if model.losses[0].name not in REGRESSION_LOSSES or target.std is None or target.mean is None:
        return
    scale = options["max-scale"]
    if target.std <= scale and abs(target.mean) <= scale:
        return
    loss = model.losses[0].name
    if model.framework == "pytorch":
        loss = TORCH_LOSS_NAMES.get(loss, loss)
    yield at_site(
        train.site,
        f"regression targets have mean {fmt_number(round(target.mean, 2))} and std "
        f"{fmt_number(round(target.std, 2))} with {loss}: the initial loss and "
        "gradients are dominated by the output's scale",
        "train on (y - y_train.mean()) / y_train.std() and invert it on the predictions",
        mean=target.mean,
        std=target.std,
    )


RULE = rule(
    code="D205",
    name="unscaled-regression-targets",
    severity=Severity.WARNING,
    summary="Regression targets far from unit scale",
    tip=21,
    options={"max-scale": 10.0},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        unscaled_regression_targets,
        stand_in(unscaled_regression_targets, train=data_file_training),
    ),
)
