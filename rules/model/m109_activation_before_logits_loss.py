"""
## What it does
In a PyTorch setup, checks the activation that the model's output goes through before a
loss that applies its own: a softmax or log-softmax before `nn.CrossEntropyLoss` (or
`F.cross_entropy`), a sigmoid before `nn.BCEWithLogitsLoss` (or
`F.binary_cross_entropy_with_logits`). The output is read from the autograd graph at the
first training step, so a functional `torch.softmax` in `forward` counts as much as an
`nn.Softmax` module.

## Why is this bad?
`CrossEntropyLoss` takes raw logits and applies log-softmax itself;
`BCEWithLogitsLoss` applies the sigmoid itself. Given probabilities, the loss squashes
them a second time: outputs in [0, 1] become logits with almost no spread, the loss
cannot go much below its start, and the gradients are a fraction of what they should be.
The model trains slowly and plateaus with worse accuracy, with no error anywhere.

## Example
```python
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1))
loss_fn = nn.CrossEntropyLoss()
```

## Use instead
```python
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 10))  # logits
loss_fn = nn.CrossEntropyLoss()  # torch.softmax(model(x), dim=1) when you need probabilities
```
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import ModelFacts, TrainFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, output_location, single_output

# the loss (by canonical name) that applies an activation itself -> the PyTorch names
APPLIES_ITS_OWN = {
    "categorical_crossentropy": ("nn.CrossEntropyLoss", {"softmax", "log_softmax"}),
    "sparse_categorical_crossentropy": ("nn.CrossEntropyLoss", {"softmax", "log_softmax"}),
    "binary_crossentropy": ("nn.BCEWithLogitsLoss", {"sigmoid"}),
}


def activation_before_logits_loss(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None or not model.losses[0].from_logits:
        return
    output, loss = single
    if loss not in APPLIES_ITS_OWN:
        return
    loss_class, doubled = APPLIES_ITS_OWN[loss]
    if output.activation not in doubled:
        return
    own = "sigmoid" if loss == "binary_crossentropy" else "log-softmax"
    yield at_site(
        output.site or train.site,
        f"{output_location(output)} is followed by {output.activation}, and {loss_class} "
        f"applies {own} itself: the loss sees {own}({output.activation}(logits)), squashed "
        "twice, and its gradients shrink",
        f"remove the final {output.activation}: {loss_class} takes the raw logits",
        activation=output.activation,
        loss=loss_class,
    )


RULE = rule(
    code="M109",
    name="activation-before-logits-loss",
    severity=Severity.ERROR,
    summary="A softmax or sigmoid before a PyTorch loss that applies its own",
    tip=19,
    frameworks=("pytorch",),
    supersedes=("X101",),  # the clone cannot learn its batch because of it: said once
    doc=__doc__,
    implementations=(activation_before_logits_loss,),
)
