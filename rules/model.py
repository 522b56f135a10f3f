"""M1xx-M3xx: the model: output activation vs loss, and Tensor-Core friendly widths."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite, Symbol
from nncheck.facts.live import DataFacts, ModelFacts, OutputFacts, TrainFacts
from nncheck.facts.source import LayerSite, ModelSite, SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import live, rule
from nncheck.rules._common import (
    aligned_choices,
    at,
    at_layer,
    at_site,
    is_classification,
    single_output,
    single_target,
)

ALIGNMENT = 8
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
        problem = _activation_loss_problem(activation, units, loss, where)
        if problem:
            message, fix, data = problem
            yield at(model.compile, message, fix, **data)


def _activation_loss_problem(
    activation: Any, units: Any, loss: str, where: str
) -> tuple[str, str, dict[str, Any]] | None:
    """The M102 judgement, shared by the static and the live rule."""
    kind = api.PROBABILITY_LOSSES.get(loss)
    data = {
        "activation": activation,
        "units": units if isinstance(units, int) else None,
        "loss": loss,
    }
    if activation == "softmax" and units == 1:
        return (
            f"{where} is a softmax over a single unit, which always outputs 1.0: the model "
            "cannot learn",
            "activation='sigmoid' on the 1-unit output (binary task), or one unit per class "
            "with softmax",
            data,
        )
    if activation == "softmax" and kind == "binary" and isinstance(units, int):
        return (
            f"{where} applies softmax over {units} units, but the loss is {loss}: softmax "
            "makes the units compete, binary cross-entropy scores each one independently",
            "multi-label: activation='sigmoid'; one label per sample: "
            "loss='categorical_crossentropy'",
            data,
        )
    if activation == "sigmoid" and kind == "categorical":
        return (
            f"{where} applies sigmoid, but the loss is {loss}: categorical cross-entropy "
            "expects a probability distribution over classes, and sigmoid outputs do not "
            "sum to 1",
            "one label per sample: activation='softmax'; multi-label: loss='binary_crossentropy'",
            data,
        )
    return None


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
        problem = _from_logits_problem(activation, loss, from_logits, where)
        if problem:
            message, fix, data = problem
            yield at(model.compile, message, fix, **data)


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


def _misaligned(source: SourceFacts, family: dict[str, str], min_width: int) -> Iterator[Violation]:
    for layer in source.layers:
        if layer.call.qualname not in family or not _is_tunable(layer, min_width):
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


def _is_tunable(layer: LayerSite, min_width: int) -> bool:
    """A hidden-layer width the user chose: literal, >= 16, not the task-given output width."""
    width = layer.width
    if not isinstance(width, int) or isinstance(width, bool):
        return False
    if width < min_width or width % ALIGNMENT == 0 or layer.is_output:
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
    `min-width` (16): narrower layers are exempt (their cost is negligible), and so is the
    output layer, whose width is the number of classes or targets. Width arguments spelled
    with the number of classes (`num_classes`, `len(labels)`) are recognised as task-given.

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
    options={"min-width": 16},
)
def dense_width_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    yield from _misaligned(source, api.DENSE_LAYERS, options["min-width"])


@rule(
    "M302",
    "conv-filters-not-aligned",
    Severity.WARNING,
    "Convolution filters not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-width": 16},
)
def conv_filters_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    yield from _misaligned(source, api.CONV_LAYERS, options["min-width"])


@rule(
    "M303",
    "rnn-units-not-aligned",
    Severity.WARNING,
    "LSTM/GRU/SimpleRNN units not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-width": 16},
)
def rnn_units_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    yield from _misaligned(source, api.RNN_LAYERS, options["min-width"])


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


# -- live judgements: the captured model, its data and its dtype policy ------------------------


def _where(output: OutputFacts) -> str:
    line = f" (line {output.site.line})" if output.site and output.site.line else ""
    return f"the output layer '{output.layer}'{line}"


@live("M102")
def activation_loss_mismatch_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None:
        return
    output, loss = single
    problem = _activation_loss_problem(output.activation, output.units, loss, _where(output))
    if problem:
        message, fix, data = problem
        yield at_site(output.site or train.site, message, fix, **data)


@live("M103")
def from_logits_mismatch_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    single = single_output(model)
    if single is None:
        return
    output, loss = single
    problem = _from_logits_problem(
        output.activation, loss, model.losses[0].from_logits, _where(output)
    )
    if problem:
        message, fix, data = problem
        yield at_site(output.site or train.site, message, fix, **data)


@rule(
    "M101",
    "softmax-on-multi-label",
    Severity.ERROR,
    "Multi-hot labels with softmax or categorical cross-entropy",
    tip=19,
)
def softmax_on_multi_label(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Detects multi-hot labels (rows of 0/1 with more than one 1) trained with a softmax
    output or a categorical cross-entropy loss.

    ## Why is this bad?
    Softmax makes the classes compete for one unit of probability: with two true labels the
    best it can do is 0.5 each, and categorical cross-entropy rewards that. Independent labels
    need one sigmoid per label and binary cross-entropy.

    ## Example
    ```python
    y = mlb.fit_transform(tags)  # several tags per sample
    outputs = layers.Dense(n_tags, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    outputs = layers.Dense(n_tags, activation="sigmoid")(x)
    model.compile(loss="binary_crossentropy")
    ```

    ## References
    Tip 19 of the training tips (sigmoid for multi-label).
    """
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or target.kind != "multi_hot":
        return
    output, loss = single
    kind = api.PROBABILITY_LOSSES.get(loss)
    if output.activation != "softmax" and kind != "categorical":
        return
    if output.activation == "softmax" and kind == "binary":
        return  # softmax with binary cross-entropy: M102 names that mismatch and its fix
    yield at_site(
        output.site or train.site,
        f"the labels are multi-hot ({len(target.classes)} labels, several per sample), but "
        f"{_where(output)} uses {output.activation} with {loss}: the labels compete instead of "
        "being scored independently",
        "activation='sigmoid' on the output and loss='binary_crossentropy'",
        activation=output.activation,
        loss=loss,
    )


@rule(
    "M104",
    "label-format-loss-mismatch",
    Severity.ERROR,
    "Sparse vs one-hot labels do not match the loss",
    tip=19,
)
def label_format_loss_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Checks the label format against the loss: integer class ids need
    `sparse_categorical_crossentropy`, one-hot rows need `categorical_crossentropy`.

    ## Why is this bad?
    Keras stops at the first step with a rank error (on a good day) after the whole data
    pipeline and the model were set up; nncheck says which loss fits before that.

    ## Example
    ```python
    y = np.array([0, 3, 1, ...])
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.compile(loss="sparse_categorical_crossentropy")
    ```
    """
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None:
        return
    loss = single[1]
    if loss == "categorical_crossentropy" and target.kind == "sparse":
        better = "sparse_categorical_crossentropy"
        labels = "integer class ids"
    elif loss == "sparse_categorical_crossentropy" and target.kind == "one_hot":
        better = "categorical_crossentropy"
        labels = "one-hot rows"
    else:
        return
    yield at_site(
        train.site,
        f"the labels are {labels}, but the loss is {loss}: Keras fails at the first step",
        f"loss='{better}'",
        loss=loss,
        labels=target.kind,
    )


def _sigmoid_loss(bias: float, p: float) -> float:
    log_sig = -math.log1p(math.exp(-bias)) if bias > -30 else bias
    log_one_minus = -math.log1p(math.exp(bias)) if bias < 30 else -bias
    return -(p * log_sig + (1 - p) * log_one_minus)


def _softmax_loss(bias: list[float], prior: list[float]) -> float:
    top = max(bias)
    log_norm = top + math.log(sum(math.exp(b - top) for b in bias))
    return -sum(p * (b - log_norm) for p, b in zip(prior, bias, strict=True))


@rule(
    "M201",
    "output-bias-ignores-prior",
    Severity.WARNING,
    "The output bias is far from the class prior",
    tip=6,
    options={"min-loss-reduction": 0.3},
)
def output_bias_ignores_prior(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
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
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or train.class_weight or train.sample_weight:
        return
    output = single[0]
    if output.bias is None or not target.classes or not is_classification(model):
        return
    if model.losses[0].class_balancing:
        return
    total = sum(target.classes.values())
    if output.activation == "sigmoid" and output.units == 1 and target.kind == "binary":
        p = target.classes.get("1", 0) / total
        if not 0 < p < 1:
            return
        bias = output.bias[0]
        best = math.log(p / (1 - p))
        current, ideal = _sigmoid_loss(bias, p), _sigmoid_loss(best, p)
        init = f"keras.initializers.Constant({best:.3f})"
        prior_text = f"{p:.1%} of labels are positive"
    elif output.activation == "softmax" and output.units and output.units > 1:
        if target.kind not in {"sparse", "one_hot", "binary"} or len(output.bias) != output.units:
            return
        k = output.units
        counts = [target.classes.get(str(i), 0) for i in range(k)]
        prior = [(c + 1) / (total + k) for c in counts]  # smoothed: a class missing from the sample
        logs = [math.log(p) for p in prior]
        centre = sum(logs) / k
        best_bias = [round(v - centre, 3) for v in logs]
        current, ideal = _softmax_loss(output.bias, prior), _softmax_loss(best_bias, prior)
        init = f"keras.initializers.Constant({best_bias})"
        rare = min(prior)
        prior_text = f"class frequencies range from {rare:.1%} to {max(prior):.1%}"
    else:
        return
    if current <= 0 or (current - ideal) / current < options["min-loss-reduction"]:
        return
    yield at_site(
        output.site or train.site,
        f"{_where(output)} starts with a bias that ignores the class prior ({prior_text}): the "
        f"expected initial loss is {current:.3f}, and the prior's bias would start it at "
        f"{ideal:.3f} ({(current - ideal) / current:.0%} lower)",
        f"bias_initializer={init}",
        initial_loss=round(current, 4),
        prior_loss=round(ideal, 4),
    )


def _live_misaligned(model: ModelFacts, kinds: set[str], min_width: int) -> Iterator[Violation]:
    outputs = {o.layer for o in model.outputs}
    for layer in model.layers:
        if layer.kind not in kinds or layer.site is None or layer.width is None:
            continue  # layers built inside a library (keras.applications) are not the user's
        if layer.name in outputs or layer.width < min_width:
            continue
        multiple = 8 if layer.compute_dtype in {"float16", "bfloat16"} else 4
        if layer.width % multiple == 0:
            continue
        lower, upper = aligned_choices(layer.width, multiple)
        precision = (
            f"{layer.compute_dtype}, so Tensor Cores want multiples of 8"
            if multiple == 8
            else "float32 (TF32 on Ampere and newer), so Tensor Cores want multiples of 4"
        )
        yield at_layer(
            layer,
            f"{layer.kind} '{layer.name}' has {layer.width_param}={layer.width}: it computes in "
            f"{precision}, and {layer.width} is not one",
            f"{layer.width_param}={upper}  # or {lower}",
            width=layer.width,
            multiple=multiple,
            dtype=layer.compute_dtype,
        )


@live("M301")
def dense_width_not_aligned_live(model: ModelFacts, options: dict) -> Iterator[Violation]:
    yield from _live_misaligned(model, {"Dense", "EinsumDense"}, options["min-width"])


@live("M302")
def conv_filters_not_aligned_live(model: ModelFacts, options: dict) -> Iterator[Violation]:
    kinds = {k.rpartition(".")[2] for k in api.CONV_LAYERS}
    yield from _live_misaligned(model, kinds, options["min-width"])


@live("M303")
def rnn_units_not_aligned_live(model: ModelFacts, options: dict) -> Iterator[Violation]:
    yield from _live_misaligned(model, {"LSTM", "GRU", "SimpleRNN"}, options["min-width"])


@rule(
    "M304",
    "embedding-dim-not-aligned",
    Severity.WARNING,
    "Embedding dimension not a multiple of the Tensor-Core size",
    tip=15,
    options={"min-width": 16},
)
def embedding_dim_not_aligned(model: ModelFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Checks that an `Embedding` layer's `output_dim` (built in your code) is a multiple of 8
    when it computes in float16/bfloat16, or of 4 in float32.

    ## Why is this bad?
    The embedding dimension is the inner dimension of every layer that consumes the
    embeddings; a misaligned one makes all of them run Tensor Cores less efficiently.

    ## Example
    ```python
    layers.Embedding(20_000, 50)
    ```

    ## Use instead
    ```python
    layers.Embedding(20_000, 48)  # or 56
    ```

    ## Options
    `min-width` (16): narrower embeddings are exempt.

    ## References
    NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1.
    """
    yield from _live_misaligned(model, {"Embedding"}, options["min-width"])


@rule(
    "M305",
    "three-channel-input-unpadded",
    Severity.INFO,
    "A 3-channel first convolution in float16 could be padded to 4 channels",
    tip=15,
)
def three_channel_input_unpadded(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags the first 2-D convolution of a mixed-precision model when its input has 3 channels
    (RGB images), as advice.

    ## Why is this bad?
    Tensor-Core convolution kernels want the input channels to be a multiple of 8 in
    float16 (cuDNN can use a special path for 4 channels in NHWC). With 3 channels the first
    convolution runs on a slower path; padding the images with a zero channel to 4 is a
    known speed-up for the first layer. It only matters when that layer is a noticeable
    share of the step, hence info.

    ## Example
    ```python
    keras.Input((224, 224, 3))  # mixed_float16
    ```

    ## Use instead
    ```python
    images = tf.pad(images, [[0, 0], [0, 0], [0, 0], [0, 1]])  # 4 channels, in the pipeline
    keras.Input((224, 224, 4))
    ```

    ## References
    NVIDIA Deep Learning Performance Guide, "Convolutional Layers": channels in multiples of
    8 (FP16); NVIDIA cuDNN documentation on NHWC with C=4.
    """
    first = next(
        (layer for layer in model.layers if layer.kind in {"Conv2D", "Convolution2D"}), None
    )
    if first is None or first.site is None or first.input_channels != 3:
        return
    if first.compute_dtype not in {"float16", "bfloat16"}:
        return
    yield at_layer(
        first,
        f"the first convolution '{first.name}' reads 3 input channels in {first.compute_dtype}: "
        "Tensor-Core kernels want 4 or 8, so this layer runs on a slower path",
        "pad the images to 4 channels in the input pipeline: tf.pad(images, [[0, 0], "
        "[0, 0], [0, 0], [0, 1]])",
    )


@rule(
    "M306",
    "channels-first-layout",
    Severity.WARNING,
    "Convolutions in channels_first (NCHW) layout",
    tip=15,
)
def channels_first_layout(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags convolution and pooling layers built in your code with
    `data_format="channels_first"`.

    ## Why is this bad?
    NVIDIA's Tensor-Core convolutions run natively in NHWC (channels_last); NCHW tensors are
    transposed around every such layer, which costs time and memory on the GPU (and the CPU
    kernels of TensorFlow do not support NCHW convolutions at all).

    ## Example
    ```python
    layers.Conv2D(64, 3, data_format="channels_first")
    ```

    ## Use instead
    ```python
    layers.Conv2D(64, 3)  # channels_last, Keras' default
    ```

    ## References
    NVIDIA Deep Learning Performance Guide, "Tensor Layouts in Memory: NCHW vs NHWC".
    """
    for layer in model.layers:
        if layer.data_format == "channels_first" and layer.site is not None:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' uses data_format='channels_first': Tensor-Core "
                "convolutions run in channels_last (NHWC), so every call is transposed",
                "data_format='channels_last' (the default), with inputs as (batch, H, W, C)",
            )


@rule(
    "M307",
    "float16-output-layer",
    Severity.WARNING,
    "Mixed precision with an output layer that computes in float16",
    tip=15,
)
def float16_output_layer(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Under a mixed-precision policy, checks that the layer emitting each model output
    computes in float32.

    ## Why is this bad?
    A softmax or sigmoid in float16 underflows and rounds: probabilities near 0 and 1 are
    lost, the loss becomes inaccurate or infinite, and training can stall or produce NaN.
    The Keras mixed-precision guide asks for a float32 output layer.

    ## Example
    ```python
    keras.mixed_precision.set_global_policy("mixed_float16")
    outputs = layers.Dense(10, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    x = layers.Dense(10)(x)
    outputs = layers.Activation("softmax", dtype="float32")(x)
    ```

    ## References
    https://keras.io/api/mixed_precision/
    """
    for output in model.outputs:
        if output.compute_dtype in {"float16", "bfloat16"}:
            yield at_site(
                output.site or train.site,
                f"{_where(output)} computes in {output.compute_dtype} under the "
                f"'{model.global_policy}' policy: its {output.activation} and the loss lose "
                "precision",
                "add layers.Activation('" + output.activation + "', dtype='float32') after it, "
                "or build it with dtype='float32'",
                dtype=output.compute_dtype,
            )


@rule(
    "M105",
    "output-units-mismatch",
    Severity.ERROR,
    "Output units do not match the label width",
    tip=19,
)
def output_units_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Compares the width of one-hot or multi-hot labels with the units of the output layer.

    ## Why is this bad?
    With 5 label columns and 10 output units the loss cannot be computed: Keras stops at
    the first step, after the data pipeline and the model were set up. Usually the number
    of classes was hard-coded, or computed on another split than the labels.

    ## Example
    ```python
    y = keras.utils.to_categorical(labels)  # 5 classes
    outputs = layers.Dense(10, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    outputs = layers.Dense(y.shape[1], activation="softmax")(x)
    ```
    """
    target = single_target(data)
    single = single_output(model)
    if target is None or single is None or target.kind not in {"one_hot", "multi_hot"}:
        return
    output = single[0]
    width = target.shape[-1] if target.shape else None
    if width is None or output.units is None or width == output.units:
        return
    yield at_site(
        output.site or train.site,
        f"the labels have {width} columns, but {_where(output)} has {output.units} units",
        f"units={width} on the output layer (one per label column)",
        label_width=width,
        units=output.units,
    )
