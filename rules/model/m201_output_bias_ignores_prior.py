"""
## What it does
For a classifier with a sigmoid or softmax output, compares the loss the output bias
gives at initialisation (treating the logits as the bias) with the loss of the bias that
matches the class prior: log(p / (1 - p)) for sigmoid, log(p_k) for softmax. It fires
when the prior's bias would lower that initial loss by 30% or more, so a mild prior such
as 30% positives (12% lower) stays quiet. Rebalanced training (class_weight,
sample_weight) is left alone: its effective prior is balanced.

## Why is this bad?
With a zero bias the model starts by predicting 50% for a class that occurs 2% of the
time. The first epochs are spent learning the prior instead of the features, the loss
curve shows a "hockey stick", and with a short schedule the rare class is never learned.

## Example
```python
layers.Dense(1, activation="sigmoid")  # 5% positives
```

## Use instead
```python
layers.Dense(1, activation="sigmoid",
             bias_initializer=keras.initializers.Constant(-2.944))  # log(0.05 / 0.95)
```

## Options
`min-loss-reduction` (0.3): how much lower, as a share, the prior's bias must make the
initial loss before the rule fires.

## References
Tip 6 of the training tips; Karpathy, "A Recipe for Training Neural Networks" (2019).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.prior import prior_bias
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    at_site,
    data_file_training,
    is_classification,
    module_expression,
    output_location,
    single_output,
    single_target,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def output_bias_ignores_prior(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or train.class_weight or train.sample_weight:
        return
    output = single[0]
    if output.bias is None or not target.classes or not is_classification(model):
        return
    if model.losses[0].class_balancing:
        return
    if output.activation == "linear" and model.losses[0].from_logits:
        # logits into a loss that applies the activation: the head is that activation
        applied = "sigmoid" if model.losses[0].name == "binary_crossentropy" else "softmax"
        output = dataclasses.replace(output, activation=applied)
    prior = prior_bias(output, target)
    if prior is None:
        return
    current, ideal = prior.loss, prior.prior_loss
    if prior.activation == "sigmoid":
        values = f"{prior.prior_bias[0]:.3f}"
        prior_text = f"{prior.prior[0]:.1%} of labels are positive"
    else:
        values = str(prior.prior_bias)
        prior_text = (
            f"class frequencies range from {min(prior.prior):.1%} to {max(prior.prior):.1%}"
        )
    if current <= 0 or (current - ideal) / current < options["min-loss-reduction"]:
        return
    if model.framework == "pytorch":
        bias = f"{module_expression(output.layer)}.bias"
        fix = (
            f"nn.init.constant_({bias}, {values})"
            if prior.activation == "sigmoid"
            else f"with torch.no_grad(): {bias}.copy_(torch.tensor({values}))"
        )
    else:
        fix = f"bias_initializer=keras.initializers.Constant({values})"
    yield at_site(
        output.site or train.site,
        f"{output_location(output)} starts with a bias that ignores the class prior "
        f"({prior_text}): the "
        f"expected initial loss is {current:.3f}, and the prior's bias would start it at "
        f"{ideal:.3f} ({(current - ideal) / current:.0%} lower)",
        fix,
        initial_loss=round(current, 4),
        prior_loss=round(ideal, 4),
    )


RULE = rule(
    code="M201",
    name="output-bias-ignores-prior",
    severity=Severity.WARNING,
    summary="The output bias is far from the class prior",
    tip=6,
    options={"min-loss-reduction": 0.3},
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        output_bias_ignores_prior,
        stand_in(output_bias_ignores_prior, train=data_file_training),
    ),
)
