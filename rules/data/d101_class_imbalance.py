"""
## What it does
Counts the labels of a classification task on the captured sample and flags a rarest
class that has less than 20% of its fair share (1/k of the samples for k classes: under
10% of the samples for a binary task, under 2% for ten classes) when training does
nothing about it: no `class_weight`, no `sample_weight`, no class-balancing focal loss
and no resampling (imbalanced-learn, `rejection_resample`, `sample_from_datasets`).

## Why is this bad?
The gradient is dominated by the frequent classes: the model learns to predict them and
reaches a high accuracy that means little, while the rare class, often the one that
matters (fraud, churn, disease), is barely learned.

## Example
```python
model.fit(x, y, epochs=50)  # 4% positives
```

## Use instead
```python
model.fit(x, y, epochs=50, class_weight={0: 0.521, 1: 12.5})
```
The fix gives the "balanced" weights computed from your labels; setting the output bias
to the prior (M201) helps too.

## Options
`minority-fair-share` (0.2): the rarest class's share times the number of classes below
which the rule fires. It does not depend on the number of classes the way a fixed ratio
would: with many classes a 10:1 ratio between the largest and the smallest class is
normal, with two it is not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    argument_edit,
    at_site,
    data_file_training,
    fmt_number,
    is_classification,
    no_source,
    single_target,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TargetStats, TrainFacts

RESAMPLING = {"rejection_resample", "sample_from_datasets", "choose_from_datasets", "fit_resample"}


def _is_resampled(source: SourceFacts) -> bool:
    if any(name.partition(".")[0] == "imblearn" for name in source.imported_modules):
        return True
    return any(
        (c.method or (c.qualname or "").rpartition(".")[2]) in RESAMPLING for c in source.calls
    )


def balanced_class_weight(classes: dict[str, int]) -> dict[int | str, float]:
    """scikit-learn's "balanced" weights: n / (k * count), so every class weighs the same."""
    total, k = sum(classes.values()), len(classes)
    return {
        int(label) if label.lstrip("-").isdigit() else label: round(total / (k * count), 3)
        for label, count in classes.items()
        if count
    }


def class_imbalance(
    model: ModelFacts, data: DataFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    target = single_target(data)
    if target is None or target.kind not in {"binary", "sparse", "one_hot"}:
        return
    if not is_classification(model) or len(target.classes) < 2:
        return
    if (
        train.class_weight
        or train.sample_weight
        or any(loss.class_balancing for loss in model.losses)
    ):
        return
    if _is_resampled(source):
        return
    yield from _imbalance(target, train, options, model)


def _pytorch_fix(model: ModelFacts, target: TargetStats, weights: dict) -> str:
    """The rebalancing a PyTorch loop applies in its loss: per-class weights for
    cross-entropy (in class-index order), the positives' weight for BCEWithLogitsLoss."""
    loss = model.losses[0].name if model.losses else ""
    if loss in {"sparse_categorical_crossentropy", "categorical_crossentropy"} and all(
        isinstance(label, int) for label in weights
    ):
        ordered = ", ".join(str(weights[label]) for label in sorted(weights))
        return f"nn.CrossEntropyLoss(weight=torch.tensor([{ordered}]))"
    if loss == "binary_crossentropy" and model.losses[0].from_logits and target.kind == "binary":
        positives, negatives = target.classes.get("1", 0), target.classes.get("0", 0)
        if positives:
            return f"nn.BCEWithLogitsLoss(pos_weight=torch.tensor([{negatives / positives:.3f}]))"
    return "DataLoader(..., sampler=WeightedRandomSampler(per-sample weights, len(dataset)))"


def _imbalance(
    target: TargetStats, train: TrainFacts, options: dict, model: ModelFacts | None = None
) -> Iterator[Violation]:
    total = sum(target.classes.values())
    rare_label, rare = min(target.classes.items(), key=lambda item: item[1])
    common_label, common = max(target.classes.items(), key=lambda item: item[1])
    k = len(target.classes)
    if total == 0 or rare / total * k >= options["minority-fair-share"]:
        return
    ratio = common / rare if rare else float("inf")
    message = (
        f"labels are imbalanced: class {rare_label} has {rare:,} of {total:,} samples "
        f"({rare / total:.1%}), class {common_label} has {common:,} ({common / total:.1%}); "
        f"{fmt_number(round(ratio, 1))}:1, and nothing rebalances them"
    )
    weights = balanced_class_weight(target.classes)
    pytorch = model is not None and model.framework == "pytorch"
    violation = at_site(
        train.site,
        message,
        _pytorch_fix(model, target, weights)
        if model and pytorch
        else (f"model.fit(..., class_weight={weights})"),
        classes=target.classes,
        class_weight=weights,
    )
    if train.entry == "fit" and train.site is not None:
        edit = argument_edit(None, "fit", "class_weight", repr(weights), line=train.site.line)
        violation = dataclasses.replace(violation, edit=edit)
    yield violation


def class_imbalance_in_file(data: DataFacts, options: dict) -> Iterator[Violation]:
    target = single_target(data)
    if target is None or target.kind not in {"binary", "sparse"} or len(target.classes) < 2:
        return
    yield from _imbalance(target, data_file_training(), options)


RULE = rule(
    code="D101",
    name="class-imbalance",
    severity=Severity.WARNING,
    summary="Imbalanced classes with no rebalancing",
    tip=4,
    options={"minority-fair-share": 0.2},
    fix="safe",
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        class_imbalance,
        stand_in(class_imbalance, train=data_file_training, source=no_source),
        class_imbalance_in_file,
    ),
)
