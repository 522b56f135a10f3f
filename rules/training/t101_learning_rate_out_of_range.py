"""
## What it does
Checks the rate training runs at against the range that works for the optimizer's family:
a literal learning rate given to a Keras optimizer, or the `lr` of a `torch.optim`
optimizer. Under a schedule it is the schedule's peak: a warm-up's target (its first steps
run far below it, often at 0), a decay's starting rate, OneCycleLR's `max_lr`, and the
base `lr` a PyTorch scheduler scales.

| optimizers | range |
|---|---|
| Adam, AdamW, Adamax, Nadam (NAdam), RAdam, RMSprop | 1e-6 to 1e-2 |
| Lion | 1e-7 to 1e-3 |
| SGD | 1e-4 to 1.0 |
| Adagrad, Ftrl | 1e-4 to 1.0 |
| Adadelta | 1e-4 to 10 |

## Why is this bad?
Too high a rate makes the loss diverge or oscillate; too low a rate spends the GPU budget
crawling. Either wastes the run, and neither shows until hours in.

## Example
```python
keras.optimizers.Adam(learning_rate=0.1)
torch.optim.Adam(model.parameters(), lr=0.1)
```

## Use instead
```python
keras.optimizers.Adam(learning_rate=1e-3)
torch.optim.Adam(model.parameters(), lr=1e-3)
```
The learning-rate range probe (X107) measures where the loss diverges for your model.

## Options
Each family's bounds: `adaptive-min` (1e-6) and `adaptive-max` (0.01), `sign-based-min`
(1e-7) and `sign-based-max` (0.001), `sgd-min` (1e-4) and `sgd-max` (1.0),
`adagrad-min` / `adagrad-max`, `adadelta-min` / `adadelta-max`, `ftrl-min` / `ftrl-max`
(the table's values). Raise `sgd-max` for very large batches, lower `adaptive-min` for
delicate fine-tuning.

## References
The ranges bracket the published defaults (Kingma & Ba 2015, Adam 1e-3; Keras' defaults;
Zeiler 2012, Adadelta 1.0), fine-tuning practice down to 1e-6, Lion's paper (Chen et al.
2023: 3-10x below AdamW) and the linear scaling rule for SGD (Goyal et al. 2017: 0.1 per
256 samples, so very large batches may exceed 1.0).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts import keras_api as api
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    DEFAULT_LEARNING_RATES,
    at,
    at_site,
    data_file_training,
    fmt_number,
    is_number,
    no_source,
    peak_learning_rate,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def learning_rate_out_of_range(source: SourceFacts, options: dict) -> Iterator[Violation]:
    for call in source.calls:
        qualname = call.qualname or ""
        optimizer = qualname.rpartition(".")[2]
        if qualname.startswith("keras.optimizers."):
            rate = peak_learning_rate(source, call.arg("learning_rate", 0))
            problem = _learning_rate_problem(optimizer, rate, options)
        elif qualname.startswith("torch.optim.") and ".lr_scheduler." not in qualname:
            rate = call.arg("lr", 1)
            problem = _learning_rate_problem(optimizer, rate, options, keyword="lr")
        else:
            continue
        if problem:
            yield at(call, problem[0], problem[1], learning_rate=rate)


def learning_rate_out_of_range_live(
    model: ModelFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    keyword = "lr" if model.framework == "pytorch" else "learning_rate"
    rate = model.learning_rate
    problem = _learning_rate_problem(model.optimizer or "", rate, options, keyword=keyword)
    if not problem:
        return
    built = [c for c in source.calls if (c.qualname or "").endswith(f".{model.optimizer}")]
    message, fix = problem
    if model.schedule:
        message = f"{message} (the peak of its {model.schedule})"
    if len(built) == 1:
        yield at(built[0], message, fix, learning_rate=model.learning_rate)
    else:
        yield at_site(train.site, message, fix, learning_rate=model.learning_rate)


def _learning_rate_problem(
    optimizer: str, rate: Any, options: dict, keyword: str = "learning_rate"
) -> tuple[str, str] | None:
    if optimizer not in api.LR_RANGES or not is_number(rate):
        return None
    family, _, _ = api.LR_RANGES[optimizer]
    key = api.LR_FAMILY_OPTION[family]
    low, high = options[f"{key}-min"], options[f"{key}-max"]
    if low <= rate <= high:
        return None
    if rate > high:
        how = f"{fmt_number(round(rate / high, 1))}x above"
    else:
        how = f"{fmt_number(round(low / rate, 1))}x below" if rate > 0 else "not above zero, below"
    message = (
        f"{optimizer} learning rate {fmt_number(rate)} is {how} the sane range for "
        f"{family} optimizers ({fmt_number(low)} to {fmt_number(high)})"
    )
    default = DEFAULT_LEARNING_RATES.get(optimizer.lower(), 1e-3)
    return message, f"{keyword}={fmt_number(default)}"


RULE = rule(
    code="T101",
    name="learning-rate-out-of-range",
    severity=Severity.WARNING,
    summary="Learning rate outside the optimizer family's sane range",
    tip=7,
    options=api.LR_RANGE_OPTIONS,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        learning_rate_out_of_range_live,
        learning_rate_out_of_range,
        stand_in(learning_rate_out_of_range_live, train=data_file_training, source=no_source),
    ),
)
