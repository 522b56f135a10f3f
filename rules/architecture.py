"""M4xx-M5xx and D206: architecture, initialization and target-kind bugs in the captured model.

These are the faults that published benchmarks of real Keras programs find most often and
that peer tools catch only after training has run; here they are judged on the layer graph
captured at the first training step (each layer's inputs, activation, initializers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite
from nncheck.facts.live import (
    DataFacts,
    LayerFacts,
    ModelFacts,
    OutputFacts,
    TargetStats,
    TrainFacts,
)
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import fallback_with, rule, static
from nncheck.rules._common import (
    DATA_FILE_TRAINING,
    REGRESSION_LOSSES,
    at,
    at_layer,
    at_site,
    fmt_number,
    is_classification,
    is_number,
    single_output,
    single_target,
)

LINEAR = {None, "linear"}
SATURATING = {"sigmoid", "tanh"}
CONSTANT_INITIALIZERS = {"Zeros", "Ones", "Constant"}
NORMALIZATION = {"BatchNormalization", "LayerNormalization", "GroupNormalization"}


def _consumers(model: ModelFacts) -> dict[str, list[LayerFacts]]:
    consumers: dict[str, list[LayerFacts]] = {}
    for layer in model.layers:
        for name in layer.inputs:
            consumers.setdefault(name, []).append(layer)
    return consumers


def _output_names(model: ModelFacts) -> set[str]:
    return {output.layer for output in model.outputs}


def _user_layers(model: ModelFacts) -> Iterator[LayerFacts]:
    """Layers built in the user's code (not inside keras.applications and the like)."""
    return (layer for layer in model.layers if layer.site is not None)


@rule(
    "M401",
    "collapsing-linear-layers",
    Severity.WARNING,
    "Consecutive linear layers collapse into one",
)
def collapsing_linear_layers(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags a `Dense` layer without an activation whose output feeds only another `Dense`
    layer (no activation, normalization or dropout in between).

    ## Why is this bad?
    Two linear maps in a row are one linear map: the pair has the expressive power of a
    single layer, with more parameters and a harder optimisation. An activation was
    usually forgotten.

    ## Example
    ```python
    layers.Dense(64),
    layers.Dense(64, activation="relu"),
    ```

    ## Use instead
    ```python
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    ```
    """
    consumers = _consumers(model)
    outputs = _output_names(model)
    for layer in _user_layers(model):
        if layer.kind != "Dense" or layer.activation not in LINEAR or layer.name in outputs:
            continue
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "Dense" for c in following):
            yield at_layer(
                layer,
                f"Dense '{layer.name}' has no activation and feeds straight into Dense "
                f"'{following[0].name}': the two collapse into one linear layer",
                "activation='relu' (or another non-linearity) on the first layer",
            )


@rule(
    "M402",
    "hidden-softmax",
    Severity.WARNING,
    "Softmax in a hidden layer, or a deep stack of sigmoid/tanh layers",
    options={"max-saturating-depth": 3},
)
def hidden_softmax(model: ModelFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Flags a hidden `Dense` or convolution layer (one that is not a model output) with a
    softmax activation, and a chain of more than 3 hidden sigmoid/tanh layers, each feeding
    the next, with no normalization or residual connection in between.

    ## Why is this bad?
    Softmax squeezes a layer's outputs into a distribution that sums to one: the next layer
    sees tiny values whose gradients vanish as they saturate, and most units are pushed to
    zero. It belongs on the output of a single-label classifier (attention uses it on
    scores, through dedicated layers). Sigmoid and tanh derivatives are at most 0.25 and 1
    and shrink as units saturate: through a deep stack the gradient of the first layers
    vanishes (the probe X105 measures it where it runs).

    ## Options
    `max-saturating-depth` (3): the longest sigmoid/tanh chain that does not fire.

    ## Example
    ```python
    layers.Dense(64, activation="softmax"),
    layers.Dense(10, activation="softmax"),
    ```

    ## Use instead
    ```python
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
    ```
    """
    outputs = _output_names(model)
    for layer in _user_layers(model):
        if layer.activation == "softmax" and layer.width is not None and layer.name not in outputs:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' is a hidden layer with a softmax activation: its "
                "outputs are squeezed to sum to one and their gradients vanish",
                "activation='relu' on hidden layers; softmax only on the output",
            )
    chain = _longest_saturating_chain(model)
    if len(chain) >= options["max-saturating-depth"] + 1:
        yield at_layer(
            chain[0],
            f"{len(chain)} stacked layers with sigmoid/tanh activations from '{chain[0].name}' to "
            f"'{chain[-1].name}', with no normalization or residual path: their gradients "
            "shrink with every layer (vanishing gradients)",
            "activation='relu' (with he_normal) in hidden layers, or BatchNormalization between",
            depth=len(chain),
        )


def _longest_saturating_chain(model: ModelFacts) -> list[LayerFacts]:
    """The longest path of hidden sigmoid/tanh layers, each feeding the next directly."""
    by_name = {layer.name: layer for layer in model.layers}
    outputs = _output_names(model)
    best: list[LayerFacts] = []
    chains: dict[str, list[LayerFacts]] = {}
    for layer in model.layers:
        passthrough = layer.kind in {"Dropout", "Flatten", "Reshape"}
        saturating = (
            layer.width is not None and layer.activation in SATURATING and layer.name not in outputs
        )
        previous = by_name.get(layer.inputs[0]) if len(layer.inputs) == 1 else None
        inherited = chains.get(previous.name, []) if previous is not None else []
        if saturating:
            chains[layer.name] = [*inherited, layer]
        elif passthrough:
            chains[layer.name] = inherited
        if len(chains.get(layer.name, [])) > len(best):
            best = chains[layer.name]
    return best


@rule(
    "M403",
    "double-activation",
    Severity.WARNING,
    "An activation applied twice",
)
def double_activation(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags an `Activation` (or `ReLU`, `Softmax`, ...) layer whose input comes from a layer
    that already applies a non-linear activation.

    ## Why is this bad?
    `relu(relu(x))` is merely redundant, but `softmax(softmax(x))` flattens the
    distribution and `sigmoid(sigmoid(x))` squeezes the output into (0.5, 0.73): the model
    cannot reach its targets, and the loss plateaus without an error.

    ## Example
    ```python
    layers.Dense(10, activation="softmax"),
    layers.Activation("softmax"),
    ```

    ## Use instead
    ```python
    layers.Dense(10),
    layers.Activation("softmax"),
    ```
    """
    by_name = {layer.name: layer for layer in model.layers}
    for layer in _user_layers(model):
        if layer.kind not in api.ACTIVATION_KINDS:
            continue
        if len(layer.inputs) != 1 or layer.inputs[0] not in by_name:
            continue
        previous = by_name[layer.inputs[0]]
        if previous.width is not None and previous.activation not in LINEAR:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' applies {layer.activation} to the output of "
                f"'{previous.name}', which already applies {previous.activation}",
                f"remove activation='{previous.activation}' from '{previous.name}', or this layer",
            )


@rule(
    "M405",
    "dropout-misuse",
    Severity.WARNING,
    "Dropout rate above 0.5, or Dropout right before BatchNormalization",
    options={"max-rate": 0.5},
)
def dropout_misuse(model: ModelFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Flags `Dropout` layers with a rate above 0.5, and `Dropout` whose output goes straight
    into `BatchNormalization`.

    ## Why is this bad?
    Keras' `rate` is the fraction *dropped*: 0.8 keeps one unit in five, which starves
    training (the rate is often confused with a keep probability). Dropout before batch
    normalization shifts the variance that BN learns between training and inference
    ("variance shift", Li et al. 2019), so the model behaves differently when deployed.

    ## Example
    ```python
    layers.Dropout(0.8)
    ```

    ## Use instead
    ```python
    layers.Dropout(0.2)  # and put dropout after the last BatchNormalization
    ```

    ## Options
    `max-rate` (0.5): the highest rate that does not fire.
    """
    consumers = _consumers(model)
    for layer in _user_layers(model):
        if layer.kind != "Dropout":
            continue
        if layer.rate is not None and layer.rate > options["max-rate"]:
            yield at_layer(
                layer,
                f"Dropout '{layer.name}' drops {layer.rate:.0%} of the units (Keras' rate is the "
                "fraction dropped, not kept)",
                f"rate={fmt_number(round(1 - layer.rate, 2))} if {layer.rate} was meant to be kept",
                rate=layer.rate,
            )
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "BatchNormalization" for c in following):
            yield at_layer(
                layer,
                f"Dropout '{layer.name}' feeds BatchNormalization '{following[0].name}': the "
                "statistics BN learns with dropout differ from those at inference",
                "move the Dropout after the last BatchNormalization",
            )


@rule(
    "M406",
    "bias-before-batchnorm",
    Severity.INFO,
    "A bias right before BatchNormalization",
)
def bias_before_batchnorm(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags a `Dense` or convolution layer with a bias whose output goes only into
    `BatchNormalization`.

    ## Why is this bad?
    Batch normalization subtracts the batch mean, which removes any constant bias: the
    bias parameters are trained for nothing (BN's own `beta` plays their role). Harmless
    to accuracy, hence info, but wasted parameters and computation.

    ## Example
    ```python
    layers.Conv2D(64, 3),
    layers.BatchNormalization(),
    ```

    ## Use instead
    ```python
    layers.Conv2D(64, 3, use_bias=False),
    layers.BatchNormalization(),
    ```
    """
    consumers = _consumers(model)
    for layer in _user_layers(model):
        if layer.width is None or not layer.use_bias:
            continue
        following = consumers.get(layer.name, [])
        if following and all(c.kind == "BatchNormalization" for c in following):
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' has a bias, but BatchNormalization "
                f"'{following[0].name}' right after it subtracts the mean: the bias is wasted",
                "use_bias=False",
            )


@rule(
    "M501",
    "constant-kernel-initializer",
    Severity.ERROR,
    "Weights initialized to a constant",
)
def constant_kernel_initializer(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags layers whose `kernel_initializer` is `zeros`, `ones` or a `Constant`.

    ## Why is this bad?
    Units that start with identical weights receive identical gradients and stay identical:
    a layer of 128 units behaves like one unit. With zeros the gradients of earlier layers
    are zero as well, and nothing trains at all.

    ## Example
    ```python
    layers.Dense(64, activation="relu", kernel_initializer="zeros")
    ```

    ## Use instead
    ```python
    layers.Dense(64, activation="relu", kernel_initializer="he_normal")
    ```
    """
    for layer in _user_layers(model):
        if layer.kernel_initializer in CONSTANT_INITIALIZERS:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' starts with {layer.kernel_initializer} weights: "
                "its units receive identical gradients and never differ",
                "kernel_initializer='he_normal' (ReLU family) or 'glorot_uniform'",
                initializer=layer.kernel_initializer,
            )


@rule(
    "M503",
    "hidden-bias-initializer",
    Severity.INFO,
    "A hidden layer's bias does not start at zero",
)
def hidden_bias_initializer(model: ModelFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags hidden `Dense` and convolution layers whose `bias_initializer` is not zeros (the
    output layer's bias is M201's business).

    ## Why is this bad?
    Random or constant biases shift every unit away from the regime the kernel
    initialization was designed for; a large negative constant with ReLU creates dead units
    from the first step. Zero is the standard start; it is info because a small positive
    bias with ReLU is a deliberate choice in some designs.

    ## Example
    ```python
    layers.Dense(64, activation="relu", bias_initializer="random_normal")
    ```

    ## Use instead
    ```python
    layers.Dense(64, activation="relu")  # bias_initializer="zeros"
    ```
    """
    outputs = _output_names(model)
    for layer in _user_layers(model):
        if layer.width is None or layer.name in outputs or not layer.use_bias:
            continue
        if layer.kind in {"LSTM", "GRU", "SimpleRNN", "Embedding"}:
            continue
        if layer.bias_initializer not in (None, "Zeros"):
            yield at_layer(
                layer,
                f"hidden {layer.kind} '{layer.name}' starts its bias with "
                f"{layer.bias_initializer}, not zeros",
                "bias_initializer='zeros' (the default)",
                initializer=layer.bias_initializer,
            )


def _single(model: ModelFacts, data: DataFacts) -> tuple[OutputFacts, str, TargetStats] | None:
    """The one output, its loss name and its targets, for single-output models."""
    output, target = single_output(model), single_target(data)
    if output is None or target is None:
        return None
    return *output, target


@rule(
    "M106",
    "loss-target-mismatch",
    Severity.ERROR,
    "The loss does not fit the kind of target",
)
def loss_target_mismatch(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Compares the loss with what the labels are: a regression loss (MSE, MAE, Huber) on a
    classifier's 0/1 or class-id labels with a softmax/sigmoid output; cross-entropy on
    continuous targets; categorical cross-entropy on a single output unit.

    ## Why is this bad?
    Each trains without an error and converges to something useless: MSE on class labels
    gives weak gradients where the classifier is most wrong; cross-entropy on continuous
    targets is undefined outside [0, 1]; categorical cross-entropy over one unit is always
    zero, so nothing is learned.

    ## Example
    ```python
    layers.Dense(1, activation="sigmoid")
    model.compile(loss="mse")  # y is 0/1
    ```

    ## Use instead
    ```python
    model.compile(loss="binary_crossentropy")
    ```
    """
    single = _single(model, data)
    if single is None:
        return
    output, loss, target = single
    site = output.site or train.site
    labels = target.kind in {"binary", "sparse", "one_hot"}
    if loss in REGRESSION_LOSSES and labels and output.activation in {"softmax", "sigmoid"}:
        better = (
            "binary_crossentropy"
            if target.kind == "binary"
            else (
                "sparse_categorical_crossentropy"
                if target.kind == "sparse"
                else "categorical_crossentropy"
            )
        )
        yield at_site(
            site,
            f"{loss} on {target.kind} class labels with a {output.activation} output: a "
            "regression loss gives weak gradients exactly where the classifier is wrong",
            f"loss='{better}'",
            loss=loss,
            labels=target.kind,
        )
    elif is_classification(model) and target.kind == "continuous":
        yield at_site(
            site,
            f"{loss} on continuous targets (from {fmt_number(round(target.min or 0, 3))} to "
            f"{fmt_number(round(target.max or 0, 3))}): cross-entropy needs class labels or "
            "probabilities",
            "loss='mse' (or 'huber') with a linear output for regression",
            loss=loss,
        )
    elif loss == "categorical_crossentropy" and output.units == 1:
        yield at_site(
            site,
            "categorical_crossentropy over a single output unit is always zero: nothing is learned",
            "binary task: loss='binary_crossentropy' with a sigmoid unit; k classes: k units",
            loss=loss,
        )


BOUNDS = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, None)}


@rule(
    "M107",
    "unreachable-targets",
    Severity.ERROR,
    "The output activation cannot reach the regression targets",
)
def unreachable_targets(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    For a regression loss, compares the range of the targets with the range of the output
    activation: sigmoid/softmax (0 to 1), tanh (-1 to 1), relu (0 and up).

    ## Why is this bad?
    A sigmoid cannot output 250,000, and a relu cannot output -3: the loss has a floor the
    optimizer can never get below, and the model learns to saturate.

    ## Example
    ```python
    layers.Dense(1, activation="sigmoid")  # targets up to 45.0
    model.compile(loss="mse")
    ```

    ## Use instead
    ```python
    layers.Dense(1)  # linear, or scale the targets into the activation's range
    ```
    """
    single = _single(model, data)
    if single is None:
        return
    output, loss, target = single
    if loss not in REGRESSION_LOSSES or target.kind not in {"continuous", "sparse"}:
        return
    bounds = BOUNDS.get(output.activation)
    if bounds is None or target.min is None or target.max is None:
        return
    low, high = bounds
    if target.min >= low and (high is None or target.max <= high):
        return
    reach = (
        f"{fmt_number(low)} to {fmt_number(high)}"
        if high is not None
        else f"{fmt_number(low)} and up"
    )
    yield at_site(
        output.site or train.site,
        f"targets range from {fmt_number(round(target.min, 3))} to "
        f"{fmt_number(round(target.max, 3))}, but the {output.activation} output of "
        f"'{output.layer}' only reaches {reach}",
        "a linear output (no activation), or scale the targets into the activation's range",
        target_range=[target.min, target.max],
    )


@rule(
    "M404",
    "dense-on-unflattened-input",
    Severity.ERROR,
    "The output has more axes than the targets (Dense applied to an unflattened tensor)",
)
def dense_on_unflattened_input(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Compares the rank of the model's output with the rank of the targets: a `Dense` layer
    applied to a 3-D or 4-D tensor (after a convolution or an RNN that returns sequences,
    without Flatten or pooling) keeps the extra axes.

    ## Why is this bad?
    Keras applies Dense to the last axis only. With MSE and targets of shape (N,), the
    targets broadcast against an (N, H, W, 1) output and training runs without any error,
    optimizing nonsense (verified on TensorFlow 2.21).

    ## Example
    ```python
    layers.Conv2D(32, 3), layers.Dense(1)  # output (N, 26, 26, 1)
    ```

    ## Use instead
    ```python
    layers.Conv2D(32, 3), layers.GlobalAveragePooling2D(), layers.Dense(1)
    ```
    """
    single = _single(model, data)
    if single is None:
        return
    output, _, target = single
    target_rank = len(target.shape) + 1
    if output.rank is None or output.rank <= max(2, target_rank):
        return
    yield at_site(
        output.site or train.site,
        f"the output of '{output.layer}' has rank {output.rank} but the targets have rank "
        f"{target_rank}: a Dense layer was applied to an unflattened tensor and the targets "
        "broadcast silently",
        "add layers.Flatten() or a global pooling layer before the output",
        output_rank=output.rank,
        target_rank=target_rank,
    )


@rule(
    "D206",
    "constant-data",
    Severity.WARNING,
    "Constant input features or constant targets",
)
def constant_data(data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags tabular input features that hold one value across the sample, and targets that do.

    ## Why is this bad?
    A constant feature carries no information and only costs parameters (often the sign of
    a broken join or a column filled with a default). Constant targets leave nothing to
    learn: the model converges to that value in a few steps and every metric looks perfect.

    ## Example
    ```python
    df["country"] = "FR"  # after filtering to one country
    ```

    ## Use instead
    Drop constant columns before training; check the label pipeline when targets are
    constant.
    """
    for stats in data.inputs:
        constant = [f for f in stats.features if f.std == 0 and f.distinct == 1]
        if constant:
            shown = ", ".join(repr(f.name) if f.name else str(f.index) for f in constant[:8])
            yield at_site(
                train.site,
                f"{len(constant)} of {len(stats.features)} features of input '{stats.name}' are "
                f"constant on the sample (features {shown})",
                "drop the constant columns",
                features=[f.index for f in constant],
            )
    for target in data.targets:
        if target.std == 0 and data.samples > 1:
            yield at_site(
                train.site,
                f"the target '{target.name}' is constant ({fmt_number(target.min or 0)}) on "
                f"all {data.samples:,} sampled rows: there is nothing to learn",
                "check the label pipeline (a filter or a join that lost the labels)",
            )


fallback_with("D206", {"train": DATA_FILE_TRAINING})  # a data file checked on its own


# -- the same judgements from the source alone, where it makes them certain --------------------
# Layer order is certain in a keras.Sequential list (and its .add() calls); an argument is
# certain when it is a literal.


def _static_kind(call: Any) -> str:
    return (call.qualname or "").rpartition(".")[2] if isinstance(call, CallSite) else ""


def _static_activation(source: SourceFacts, call: CallSite) -> Any:
    """The activation a Dense/Conv/RNN or activation layer applies (SourceFacts' reading)."""
    layer = source.layer_for(call)
    return UNKNOWN if layer is UNKNOWN else layer.activation


def _sequential_pairs(source: SourceFacts) -> Iterator[tuple[CallSite, Any, bool]]:
    """(layer, next layer or None, is the output layer) for each keras.Sequential model.

    The output layer is the last one with a width; Activation layers after it belong to it.
    """
    widths = {*api.DENSE_LAYERS, *api.CONV_LAYERS, *api.RNN_LAYERS}
    for model in source.models:
        if model.construction.qualname != "keras.Sequential":
            continue
        layers = model.layers
        weighted = [
            i for i, v in enumerate(layers) if isinstance(v, CallSite) and v.qualname in widths
        ]
        if any(not isinstance(v, CallSite) for v in layers):
            continue  # a layer nncheck cannot see: the order is not certain
        for index, layer in enumerate(layers):
            following = layers[index + 1] if index + 1 < len(layers) else None
            yield layer, following, bool(weighted) and index == weighted[-1]


@static("M401")
def collapsing_linear_layers_static(source: SourceFacts) -> Iterator[Violation]:
    for layer, following, output in _sequential_pairs(source):
        if output or _static_kind(layer) != "Dense" or _static_kind(following) != "Dense":
            continue
        if _static_activation(source, layer) == "linear":
            yield at(
                layer,
                "Dense without an activation feeds straight into another Dense: the two "
                "collapse into one linear layer",
                "activation='relu' (or another non-linearity) on the first layer",
            )


@static("M402")
def hidden_softmax_static(source: SourceFacts, options: dict) -> Iterator[Violation]:
    for layer, _, output in _sequential_pairs(source):
        hidden_dense = not output and _static_kind(layer) == "Dense"
        if hidden_dense and _static_activation(source, layer) == "softmax":
            yield at(
                layer,
                "a hidden Dense layer has a softmax activation: its outputs are squeezed "
                "to sum to one and their gradients vanish",
                "activation='relu' on hidden layers; softmax only on the output",
            )


@static("M403")
def double_activation_static(source: SourceFacts) -> Iterator[Violation]:
    for layer, following, _ in _sequential_pairs(source):
        if _static_kind(following) not in api.ACTIVATION_KINDS:
            continue
        first = _static_activation(source, layer)
        if _static_kind(layer) in api.ACTIVATION_KINDS or first in (UNKNOWN, "linear"):
            continue
        second = _static_activation(source, following)
        yield at(
            following,
            f"an activation layer ({second}) follows a layer that already applies {first}",
            f"remove activation='{first}' from the layer before, or this layer",
        )


@static("M405")
def dropout_misuse_static(source: SourceFacts, options: dict) -> Iterator[Violation]:
    for call in source.calls_to("keras.layers.Dropout", "keras.layers.SpatialDropout2D"):
        rate = call.arg("rate", 0)
        if is_number(rate) and rate > options["max-rate"]:
            yield at(
                call,
                f"Dropout drops {rate:.0%} of the units (Keras' rate is the fraction dropped, "
                "not kept)",
                f"rate={fmt_number(round(1 - rate, 2))} if {rate} was meant to be kept",
                rate=rate,
            )
    for layer, following, _ in _sequential_pairs(source):
        if _static_kind(layer) == "Dropout" and _static_kind(following) == "BatchNormalization":
            yield at(
                layer,
                "Dropout feeds BatchNormalization: the statistics BN learns with dropout differ "
                "from those at inference",
                "move the Dropout after the last BatchNormalization",
            )


CONSTANT_INITIALIZER_NAMES = {"zeros", "zero", "ones", "one"}


@static("M501")
def constant_kernel_initializer_static(source: SourceFacts) -> Iterator[Violation]:
    for call in source.calls:
        if not (call.qualname or "").startswith("keras.layers."):
            continue
        initializer = call.arg("kernel_initializer")
        name = None
        if isinstance(initializer, str) and initializer.lower() in CONSTANT_INITIALIZER_NAMES:
            name = initializer
        elif (
            isinstance(initializer, CallSite) and _static_kind(initializer) in CONSTANT_INITIALIZERS
        ):
            name = _static_kind(initializer)
        if name:
            yield at(
                call,
                f"this layer starts with {name} weights: its units receive identical gradients "
                "and never differ",
                "kernel_initializer='he_normal' (ReLU family) or 'glorot_uniform'",
                initializer=name,
            )


HE = {"HeNormal", "HeUniform"}
GLOROT = {"GlorotNormal", "GlorotUniform"}
RELU_FAMILY = {"relu", "leaky_relu", "elu", "selu", "relu6"}


@rule(
    "M502",
    "initializer-activation-mismatch",
    Severity.INFO,
    "The kernel initializer does not suit the activation",
    options={"min-relu-depth": 8},
)
def initializer_activation_mismatch(model: ModelFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Advice on two mismatches: He initialization on sigmoid/tanh layers, and a deep stack (8
    or more) of ReLU-family layers all initialized with Glorot (Keras' default).

    ## Why is this bad?
    He initialization doubles the variance to make up for ReLU zeroing half of its inputs;
    on tanh/sigmoid it pushes units into saturation from the start. Glorot keeps the
    variance for symmetric activations but halves it at every ReLU layer: in deep ReLU
    stacks the signal and the gradients shrink layer by layer (He et al. 2015). Shallow
    networks train either way, hence info, and only deep stacks are flagged.

    ## Example
    ```python
    layers.Dense(64, activation="tanh", kernel_initializer="he_normal")
    ```

    ## Use instead
    ```python
    layers.Dense(64, activation="tanh")  # glorot_uniform
    layers.Dense(64, activation="relu", kernel_initializer="he_normal")
    ```

    ## Options
    `min-relu-depth` (8): the depth of an all-Glorot ReLU stack from which it fires.

    ## References
    He et al., "Delving Deep into Rectifiers" (2015); Glorot & Bengio (2010).
    """
    for layer in _user_layers(model):
        if layer.activation in SATURATING and layer.kernel_initializer in HE:
            yield at_layer(
                layer,
                f"{layer.kind} '{layer.name}' uses {layer.kernel_initializer} with "
                f"{layer.activation}: He initialization is scaled for ReLU and saturates "
                f"{layer.activation} units from the start",
                "kernel_initializer='glorot_uniform' (the default)",
            )
    relu_glorot = [
        layer
        for layer in _user_layers(model)
        if layer.width is not None
        and layer.activation in RELU_FAMILY
        and layer.kernel_initializer in GLOROT
    ]
    if len(relu_glorot) >= options["min-relu-depth"]:
        yield at_layer(
            relu_glorot[0],
            f"{len(relu_glorot)} ReLU-family layers use Glorot initialization: it halves the "
            "variance at every ReLU, so deep stacks start with vanishing signals",
            "kernel_initializer='he_normal' on the ReLU layers",
            depth=len(relu_glorot),
        )


@static("M406")
def bias_before_batchnorm_static(source: SourceFacts) -> Iterator[Violation]:
    widths = {*api.DENSE_LAYERS, *api.CONV_LAYERS}
    for layer, following, _ in _sequential_pairs(source):
        if layer.qualname not in widths or _static_kind(following) != "BatchNormalization":
            continue
        if source.call_arg(layer, "use_bias") in (MISSING, True):
            yield at(
                layer,
                "this layer has a bias, but the BatchNormalization right after it subtracts the "
                "mean: the bias is wasted",
                "use_bias=False",
            )


@static("M502")
def initializer_activation_mismatch_static(source: SourceFacts) -> Iterator[Violation]:
    for layer in source.layers:
        initializer = layer.call.arg("kernel_initializer")
        he = isinstance(initializer, str) and initializer.lower() in {"he_normal", "he_uniform"}
        if layer.activation in SATURATING and he:
            yield at(
                layer.call,
                f"{initializer} with {layer.activation}: He initialization is scaled for "
                f"ReLU and saturates {layer.activation} units from the start",
                "kernel_initializer='glorot_uniform' (the default)",
            )
