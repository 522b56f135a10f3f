"""
## What it does
In a PyTorch setup, checks that `nn.BCELoss` (or `F.binary_cross_entropy`) receives
probabilities: the model's output must come out of a sigmoid (`nn.Sigmoid`,
`torch.sigmoid`). At the first training step the output is read from the autograd graph;
where the script fails before it (BCELoss raises on a value outside [0, 1]), the source
is read instead: the loss given the output of an `nn.Sequential` that ends in a layer
(`nn.Linear`, a convolution), not an activation.

## Why is this bad?
`BCELoss` computes `-(y log p + (1 - y) log(1 - p))`: it needs `p` in [0, 1]. Raw logits
leave that range at once and the loss raises `all elements of input should be between 0
and 1`; a ReLU or a clamp keeps the first batches inside it, and the run dies at whatever
step an output first crosses 1. `BCEWithLogitsLoss` takes the logits as they are, and is
also the numerically stable form.

## Example
```python
model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
loss_fn = nn.BCELoss()
```

## Use instead
```python
model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))
loss_fn = nn.BCEWithLogitsLoss()
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts.evaluate import CallSite
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_site, last_of_sequential, output_location, single_output

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts
    from nncheck.facts.source import SourceFacts

# Output activations that are not probabilities (an unknown head is left alone)
NOT_PROBABILITIES = {"linear", "relu", "tanh", "leaky_relu", "elu", "gelu", "silu", "log_softmax"}
FIX = "use nn.BCEWithLogitsLoss() on the raw output (or end the model with nn.Sigmoid())"
# Modules that end an nn.Sequential in raw values: its output is then not a probability
RAW_LAYERS = {
    "torch.nn.Linear",
    "torch.nn.Bilinear",
    "torch.nn.Conv1d",
    "torch.nn.Conv2d",
    "torch.nn.Conv3d",
}


def bce_loss_on_logits(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None or model.framework != "pytorch" or not model.losses:
        return
    output, loss = single
    if loss != "binary_crossentropy" or model.losses[0].from_logits:
        return
    if output.activation not in NOT_PROBABILITIES:
        return
    what = "raw logits (no activation)" if output.activation == "linear" else output.activation
    yield at_site(
        output.site or train.site,
        f"nn.BCELoss needs probabilities in [0, 1], but {output_location(output)} gives it "
        f"{what}: it raises at the first step whose output leaves [0, 1]",
        FIX,
        activation=output.activation,
    )


def _raw_sequential_end(value: Any) -> CallSite | None:
    """The last module of the ``nn.Sequential`` whose call produced ``value``, when it is a
    layer with raw outputs (``nn.Linear``...)."""
    last = last_of_sequential(value.callee) if isinstance(value, CallSite) else None
    return last if last is not None and last.qualname in RAW_LAYERS else None


def bce_loss_on_logits_source(source: SourceFacts) -> Iterator[Violation]:
    if "pytorch" not in source.frameworks:
        return
    for call in source.calls:
        module_call = call.callee is not None and call.callee.qualname == "torch.nn.BCELoss"
        if not module_call and call.qualname != "torch.nn.functional.binary_cross_entropy":
            continue
        last = _raw_sequential_end(call.arg("input", 0))
        if last is None:
            continue
        yield at(
            call,
            f"{'nn.BCELoss' if module_call else call.text()} at line {call.line} is given the "
            f"raw output of {last.text()} (line {last.line}), not probabilities: BCELoss "
            "raises at the first output outside [0, 1]",
            FIX,
            layer=last.text(),
        )


RULE = rule(
    code="M111",
    name="bce-loss-on-logits",
    severity=Severity.ERROR,
    summary="PyTorch: `nn.BCELoss` given outputs that are not probabilities (no sigmoid)",
    frameworks=("pytorch",),
    tip=19,
    doc=__doc__,
    implementations=(bce_loss_on_logits, bce_loss_on_logits_source),
)
