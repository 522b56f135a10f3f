"""
## What it does
In a PyTorch setup, checks that `nn.NLLLoss` (or `F.nll_loss`) receives log-probabilities:
the model's output must come out of a log-softmax (`nn.LogSoftmax` or `F.log_softmax`).
The output is read from the autograd graph at the first training step.

## Why is this bad?
`NLLLoss` only picks the target class's value and negates it; it assumes the values are
log-probabilities. On raw logits the loss is unbounded below (the model lowers it by
growing one logit without limit); on softmax probabilities it is bounded in [-1, 0] and
its gradients barely depend on the other classes. Either way the model does not learn a
calibrated classifier.

## Example
```python
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 10))
loss_fn = nn.NLLLoss()
```

## Use instead
```python
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 10), nn.LogSoftmax(dim=1))
loss_fn = nn.NLLLoss()  # or drop the LogSoftmax and use nn.CrossEntropyLoss()
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, output_location, single_output

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def nll_loss_without_log_softmax(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None:
        return
    output, loss = single
    if loss != "negative_log_likelihood" or output.activation == "log_softmax":
        return
    what = (
        "raw logits (no activation)"
        if output.activation == "linear"
        else f"{output.activation} outputs"
    )
    yield at_site(
        output.site or train.site,
        f"nn.NLLLoss expects log-probabilities, but {output_location(output)} gives it "
        f"{what}: the loss is not a cross-entropy and the model does not learn calibrated "
        "classes",
        "end the model with nn.LogSoftmax(dim=1), or use nn.CrossEntropyLoss on the logits",
        activation=output.activation,
    )


RULE = rule(
    code="M110",
    name="nll-loss-without-log-softmax",
    severity=Severity.ERROR,
    summary="nn.NLLLoss on outputs that are not log-probabilities",
    tip=19,
    frameworks=("pytorch",),
    doc=__doc__,
    implementations=(nll_loss_without_log_softmax,),
)
