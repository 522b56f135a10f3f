"""
## What it does
Checks `from_logits` of a cross-entropy loss against the output activation, both ways:
a softmax/sigmoid output with `from_logits=True`, and a linear output (no activation)
with a probability loss (`from_logits=False`, the default of the string losses).

## Why is this bad?
With `from_logits=True` the loss applies softmax/sigmoid itself: on an output that is
already a probability it is applied twice, squashing outputs and gradients. With
`from_logits=False` on raw logits, Keras clips them into [1e-7, 1 - 1e-7] and treats
them as probabilities: the loss is wrong and its gradients vanish outside that range.

## Example
```python
outputs = layers.Dense(10, activation="softmax")(x)
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
```

## Use instead
```python
outputs = layers.Dense(10)(x)  # logits
model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Edit, Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    CompiledOutput,
    argument_edit,
    at_site,
    compiled_output_problems,
    data_file_training,
    keras_name,
    output_location,
    single_output,
)

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def from_logits_mismatch(source: SourceFacts) -> Iterator[Violation]:
    yield from compiled_output_problems(
        source,
        lambda c: _from_logits_problem(c.activation, c.loss, c.from_logits, c.where),
        lambda c: _edit(source, c),
    )


def _edit(source: SourceFacts, compiled: CompiledOutput) -> Edit | None:
    """from_logits made to match the output activation, on the loss the script passes:
    the model stays as it is, the loss reads its outputs as what they are."""
    loss = source.call_arg(compiled.compile, "loss")
    logits = compiled.activation == "linear"
    if isinstance(loss, CallSite) and loss.qualname:
        kind = loss.qualname.rpartition(".")[2]
        return argument_edit(loss, kind, "from_logits", repr(logits), old=not logits)
    name = keras_name(source)
    if isinstance(loss, str) and logits and name is not None:
        made = f"{name}.losses.{api.LOSS_CLASS_FOR[compiled.loss]}(from_logits=True)"
        return argument_edit(compiled.compile, "compile", "loss", made, old=loss)
    return None


def _from_logits_problem(
    activation: Any, loss: str, from_logits: Any, where: str
) -> tuple[str, str, dict[str, Any]] | None:
    """The M103 judgement, shared by the static and the live rule."""
    if loss not in api.PROBABILITY_LOSSES or not isinstance(from_logits, bool):
        return None
    data = {"activation": activation, "loss": loss}
    if from_logits and activation in {"softmax", "sigmoid"}:
        return (
            f"{where} already applies {activation}, and {loss} with from_logits=True "
            f"applies it again: the loss sees {activation}({activation}(logits))",
            f"from_logits=False, or remove activation='{activation}' from the output layer",
            data,
        )
    if not from_logits and activation == "linear":
        return (
            f"{where} has no activation, so it emits logits, but {loss} expects "
            "probabilities (from_logits=False): Keras clips the logits to [1e-7, 1-1e-7] "
            "and the gradients vanish",
            f"loss=keras.losses.{api.LOSS_CLASS_FOR[loss]}(from_logits=True)",
            data,
        )
    return None


def from_logits_mismatch_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None:
        return
    output, loss = single
    problem = _from_logits_problem(
        output.activation, loss, model.losses[0].from_logits, output_location(output)
    )
    if problem:
        message, fix, data = problem
        yield at_site(output.site or train.site, message, fix, **data)


RULE = rule(
    code="M103",
    name="from-logits-mismatch",
    severity=Severity.ERROR,
    summary="from_logits does not match the output activation",
    tip=19,
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    fix="safe",
    doc=__doc__,
    implementations=(
        from_logits_mismatch_live,
        from_logits_mismatch,
        stand_in(from_logits_mismatch_live, train=data_file_training),
    ),
)
