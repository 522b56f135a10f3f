"""
## What it does
In a PyTorch setup, checks the activation that the model's output goes through before a
loss that applies its own: a softmax or log-softmax before `nn.CrossEntropyLoss` (or
`F.cross_entropy`), a sigmoid before `nn.BCEWithLogitsLoss` (or
`F.binary_cross_entropy_with_logits`). The output is read from the autograd graph at the
first training step, so a functional `torch.softmax` in `forward` counts as much as an
`nn.Softmax` module. With `--static` it fires where the source shows it: the loss called on
a `softmax` / `log_softmax` / `sigmoid` call (functional, tensor method or module), or on
the output of an `nn.Sequential` that ends in one.

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
from typing import TYPE_CHECKING, Any

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_site, last_of_sequential, output_location, single_output

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

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


# the loss classes and functional losses of the source, by qualified name -> the loss's
# class and the activations it applies itself
SOURCE_LOSSES = {
    "torch.nn.CrossEntropyLoss": ("nn.CrossEntropyLoss", {"softmax", "log_softmax"}),
    "torch.nn.functional.cross_entropy": ("nn.CrossEntropyLoss", {"softmax", "log_softmax"}),
    "torch.nn.BCEWithLogitsLoss": ("nn.BCEWithLogitsLoss", {"sigmoid"}),
    "torch.nn.functional.binary_cross_entropy_with_logits": (
        "nn.BCEWithLogitsLoss",
        {"sigmoid"},
    ),
}
# functional and module spellings of the activations -> the activation
FUNCTIONAL_ACTIVATIONS = {
    **{f"{m}.softmax": "softmax" for m in ("torch", "torch.nn.functional", "torch.special")},
    **{f"{m}.log_softmax": "log_softmax" for m in ("torch", "torch.nn.functional")},
    **{f"{m}.sigmoid": "sigmoid" for m in ("torch", "torch.nn.functional", "torch.special")},
    "torch.special.expit": "sigmoid",
}
MODULE_ACTIVATIONS = {
    "torch.nn.Softmax": "softmax",
    "torch.nn.LogSoftmax": "log_softmax",
    "torch.nn.Sigmoid": "sigmoid",
}
TENSOR_METHODS = {"softmax", "log_softmax", "sigmoid"}


def _activation_of(value: Any) -> tuple[str, CallSite] | None:
    """The activation that produces ``value`` where the source shows it, and where it is:
    a softmax/sigmoid function or tensor method, an activation module called on it, or an
    ``nn.Sequential`` whose last module is one."""
    if not isinstance(value, CallSite):
        return None
    if value.method in TENSOR_METHODS and value.receiver is not None:
        return value.method, value
    if value.qualname in FUNCTIONAL_ACTIVATIONS:
        return FUNCTIONAL_ACTIVATIONS[value.qualname], value
    module = value.callee
    if module is None:
        return None
    if module.qualname in MODULE_ACTIVATIONS:
        return MODULE_ACTIVATIONS[module.qualname], module
    last = last_of_sequential(module)
    if last is not None and last.qualname in MODULE_ACTIVATIONS:
        return MODULE_ACTIVATIONS[last.qualname], last
    return None


def activation_before_logits_loss_source(source: SourceFacts) -> Iterator[Violation]:
    if "pytorch" not in source.frameworks:
        return
    for call in source.calls:
        # a loss module called (its construction is the callee) or a functional loss
        if call.callee is not None and call.callee.qualname in SOURCE_LOSSES:
            loss_class, doubled = SOURCE_LOSSES[call.callee.qualname]
            named = loss_class
        elif call.qualname in SOURCE_LOSSES and call.qualname.startswith("torch.nn.functional."):
            loss_class, doubled = SOURCE_LOSSES[call.qualname]
            named = call.text()
        else:
            continue
        found = _activation_of(call.arg("input", 0))
        if found is None or found[0] not in doubled:
            continue
        activation, where = found
        own = "sigmoid" if "BCE" in loss_class else "log-softmax"
        producer = where.text()
        if activation.lower() not in producer.lower():
            producer = f"{producer} ({activation})"
        yield at(
            where,
            f"{named} at line {call.line} is given the output of {producer}, and "
            f"{named} applies {own} itself: it "
            f"sees {own}({activation}(logits)), squashed twice, and its gradients shrink",
            f"remove the {activation}: {loss_class} takes the raw logits",
            activation=activation,
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
    implementations=(activation_before_logits_loss, activation_before_logits_loss_source),
)
