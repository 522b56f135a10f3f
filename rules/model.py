"""M1xx-M3xx: the model: output activation vs loss, and Tensor-Core friendly widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite, Symbol
from nncheck.facts.source import LayerSite, ModelSite, SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule
from nncheck.rules._common import aligned_choices, at

ALIGNMENT = 8
MIN_ALIGNED_WIDTH = 16
# A width written as the number of classes (or vocabulary) is set by the task, not tunable.
_TASK_WIDTH = re.compile(r"class|label|categor|vocab|num_out|n_out|target", re.IGNORECASE)


def _loss(source: SourceFacts, compile_call: CallSite) -> tuple[str | None, Any]:
    """(loss name, from_logits) of a compile() call; (None, UNKNOWN) when not certain."""
    value = source.call_arg(compile_call, "loss")
    if isinstance(value, str):
        return value.lower(), False
    if isinstance(value, Symbol) and value.qualname.startswith("keras.losses."):
        return value.short.lower(), False
    if isinstance(value, CallSite) and (value.qualname or "").startswith("keras.losses."):
        name = api.LOSS_CLASSES.get(value.qualname.rpartition(".")[2])
        if name is None:
            return None, UNKNOWN
        from_logits = source.call_arg(value, "from_logits")
        return name, False if from_logits is MISSING else from_logits
    return None, UNKNOWN


def _compiled_models(
    source: SourceFacts,
) -> Iterator[tuple[ModelSite, str, Any, Any, Any, str]]:
    """(model, loss, from_logits, activation, units, where) for models that can be judged."""
    for model in source.models:
        if model.compile is None:
            continue
        loss, from_logits = _loss(source, model.compile)
        if loss is None:
            continue
        activation, units, line = source.output_activation(model)
        if activation is UNKNOWN:
            continue
        where = f"the output layer (line {line})" if line else "the output layer"
        yield model, loss, from_logits, activation, units, where


@rule(
    "M102",
    "activation-loss-mismatch",
    Severity.ERROR,
    "Output activation does not fit the loss",
    tip=19,
)
def activation_loss_mismatch(source: SourceFacts) -> Iterator[Violation]:
    """
    ## What it does
    Compares the output layer's activation with the compiled loss, where both are literal:
    softmax with `binary_crossentropy` over several units, sigmoid with (sparse) categorical
    cross-entropy, and softmax over a single unit.

    ## Why is this bad?
    Softmax makes the outputs compete (they sum to 1), which is right for one label per
    sample with categorical cross-entropy and wrong for independent labels. Binary
    cross-entropy treats each unit as its own yes/no question and wants sigmoid. Categorical
    cross-entropy expects a distribution, which sigmoid outputs are not. Softmax over one
    unit always outputs 1.0: the model cannot learn anything. Each trains silently to a
    poor model.

    ## Example
    ```python
    model = keras.Sequential([..., layers.Dense(5, activation="softmax")])
    model.compile(loss="binary_crossentropy")  # multi-label targets
    ```

    ## Use instead
    ```python
    model = keras.Sequential([..., layers.Dense(5, activation="sigmoid")])
    model.compile(loss="binary_crossentropy")
    ```
    or, for one label per sample, keep softmax with `categorical_crossentropy`.

    ## References
    Tip 19 of the training tips (sigmoid for multi-label).
    """
    for model, loss, _, activation, units, where in _compiled_models(source):
        kind = api.PROBABILITY_LOSSES.get(loss)
        call = model.compile
        if activation == "softmax" and units == 1:
            yield at(
                call,
                f"{where} is a softmax over a single unit, which always outputs 1.0: the "
                "model cannot learn",
                "activation='sigmoid' on the 1-unit output (binary task), or one unit per "
                "class with softmax",
                activation=activation,
                units=units,
                loss=loss,
            )
        elif activation == "softmax" and kind == "binary" and isinstance(units, int):
            yield at(
                call,
                f"{where} applies softmax over {units} units, but the loss is {loss}: softmax "
                "makes the units compete, binary cross-entropy scores each one independently",
                "multi-label: activation='sigmoid'; one label per sample: "
                "loss='categorical_crossentropy'",
                activation=activation,
                units=units,
                loss=loss,
            )
        elif activation == "sigmoid" and kind == "categorical":
            yield at(
                call,
                f"{where} applies sigmoid, but the loss is {loss}: categorical cross-entropy "
                "expects a probability distribution over classes, and sigmoid outputs do not "
                "sum to 1",
                "one label per sample: activation='softmax'; multi-label: "
                "loss='binary_crossentropy'",
                activation=activation,
                units=units if isinstance(units, int) else None,
                loss=loss,
            )


@rule(
    "M103",
    "from-logits-mismatch",
    Severity.ERROR,
    "from_logits does not match the output activation",
    tip=19,
)
def from_logits_mismatch(source: SourceFacts) -> Iterator[Violation]:
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
    for model, loss, from_logits, activation, _, where in _compiled_models(source):
        if loss not in api.PROBABILITY_LOSSES or not isinstance(from_logits, bool):
            continue
        call = model.compile
        if from_logits and activation in {"softmax", "sigmoid"}:
            yield at(
                call,
                f"{where} already applies {activation}, and {loss} with from_logits=True "
                f"applies it again: the loss sees {activation}({activation}(logits))",
                f"from_logits=False, or remove activation='{activation}' from the output layer",
                activation=activation,
                loss=loss,
            )
        elif not from_logits and activation == "linear":
            loss_class = api.LOSS_CLASS_FOR[loss]
            yield at(
                call,
                f"{where} has no activation, so it emits logits, but {loss} expects "
                "probabilities (from_logits=False): Keras clips the logits to [1e-7, 1-1e-7] "
                "and the gradients vanish",
                f"loss=keras.losses.{loss_class}(from_logits=True)",
                activation=activation,
                loss=loss,
            )


def _misaligned(source: SourceFacts, family: dict[str, str]) -> Iterator[Violation]:
    for layer in source.layers:
        if layer.call.qualname not in family or not _is_tunable(layer):
            continue
        width = layer.width
        lower, upper = aligned_choices(width, ALIGNMENT)
        message = (
            f"{layer.kind} with {width} {layer.width_param}: not a multiple of {ALIGNMENT}, and "
            "Tensor Cores run float16/bfloat16 work most efficiently at multiples of 8 "
            "(TF32: 4)"
        )
        name = layer.call.arg("name")
        yield Violation(
            message,
            layer.call.line,
            layer.call.col,
            layer.call.end_line,
            f"{layer.width_param}={upper}  # or {lower}",
            layer=name if isinstance(name, str) else None,
            data={"width": width, "multiple": ALIGNMENT},
        )


def _is_tunable(layer: LayerSite) -> bool:
    """A hidden-layer width the user chose: literal, >= 16, not the task-given output width."""
    width = layer.width
    if not isinstance(width, int) or isinstance(width, bool):
        return False
    if width < MIN_ALIGNED_WIDTH or width % ALIGNMENT == 0 or layer.is_output:
        return False
    if layer.activation in {"softmax", "sigmoid"}:
        return False  # an output layer whose model nncheck could not trace
    return not _TASK_WIDTH.search(layer.width_text)


_ALIGNMENT_DOC = """
    ## Why is this bad?
    NVIDIA Tensor Cores run matrix multiplies and convolutions in float16/bfloat16 most
    efficiently when the dimensions are multiples of 8 (TF32: 4, INT8: 16). On cuBLAS >= 11
    and cuDNN >= 7.6.3 other sizes still use Tensor Cores, but less efficiently; on older
    libraries they fall back to slower kernels. A multiple of 8 is aligned for every dtype, so
    it is the right choice when the training dtype is not known from the source.

    ## Options
    Widths below 16 are exempt (their cost is negligible), and so is the output layer, whose
    width is the number of classes or targets. Width arguments spelled with the number of
    classes (`num_classes`, `len(labels)`) are recognised as task-given.

    ## References
    NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1;
    tip 15 of the training tips.
"""


@rule(
    "M301",
    "dense-width-not-aligned",
    Severity.WARNING,
    "Dense units not a multiple of 8 (Tensor Cores)",
    tip=15,
)
def dense_width_not_aligned(source: SourceFacts) -> Iterator[Violation]:
    yield from _misaligned(source, api.DENSE_LAYERS)


@rule(
    "M302",
    "conv-filters-not-aligned",
    Severity.WARNING,
    "Convolution filters not a multiple of 8 (Tensor Cores)",
    tip=15,
)
def conv_filters_not_aligned(source: SourceFacts) -> Iterator[Violation]:
    yield from _misaligned(source, api.CONV_LAYERS)


@rule(
    "M303",
    "rnn-units-not-aligned",
    Severity.WARNING,
    "LSTM/GRU/SimpleRNN units not a multiple of 8 (Tensor Cores)",
    tip=15,
)
def rnn_units_not_aligned(source: SourceFacts) -> Iterator[Violation]:
    yield from _misaligned(source, api.RNN_LAYERS)


dense_width_not_aligned.__doc__ = (
    """
    ## What it does
    Checks that a hidden `Dense` layer's literal `units` is a multiple of 8.

    ## Example
    ```python
    layers.Dense(100, activation="relu")
    ```

    ## Use instead
    ```python
    layers.Dense(104, activation="relu")  # or 96
    ```
"""
    + _ALIGNMENT_DOC
)
conv_filters_not_aligned.__doc__ = (
    """
    ## What it does
    Checks that a convolution's literal `filters` (Conv1D/2D/3D, transposed and separable
    convolutions) is a multiple of 8.

    ## Example
    ```python
    layers.Conv2D(50, 3, activation="relu")
    ```

    ## Use instead
    ```python
    layers.Conv2D(48, 3, activation="relu")  # or 56
    ```
"""
    + _ALIGNMENT_DOC
)
rnn_units_not_aligned.__doc__ = (
    """
    ## What it does
    Checks that an `LSTM`, `GRU` or `SimpleRNN` layer's literal `units` is a multiple of 8.

    ## Example
    ```python
    layers.LSTM(100)
    ```

    ## Use instead
    ```python
    layers.LSTM(104)  # or 96
    ```
"""
    + _ALIGNMENT_DOC
)
