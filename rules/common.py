"""Helpers shared by several rules: locating findings, reading single-output tasks, stand-ins
for facts that a saved model or a data file lacks, and the judgements that a family of rules
makes alike (Tensor-Core widths, Sequential layer order, callbacks).

A helper used by one rule lives in that rule's module.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite, LocalFunction, Symbol
from nncheck.facts.source import FitSite, LayerSite, SourceFacts
from nncheck.findings import Edit, Violation
from nncheck.formatting import fmt_number, fmt_sci

if TYPE_CHECKING:  # the live facts' classes: --static imports no facts module it does not use
    from nncheck.facts.live import (
        DataFacts,
        InputStats,
        LayerFacts,
        ModelFacts,
        OutputFacts,
        ProbeFacts,
        Site,
        TargetStats,
        TrainFacts,
    )
    from nncheck.facts.probe_results import Checkpoint, LayerGradient, Overfit

CLASSIFICATION_LOSSES = {
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
}
REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh"}


def at(call: CallSite, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation located at ``call`` (its first line and column; its last line for ranges)."""
    return Violation(message, call.line, call.col, call.end_line, fix, data=data)


def keras_name(source: SourceFacts) -> str | None:
    """How the script names the Keras package at module level (``keras``, ``tf.keras``),
    for a fix that inserts a call; None when it binds no such name."""
    found = None
    for name, bindings in source.evaluator.module_scope.bindings.items():
        values = {b.value.qualname for b in bindings if isinstance(b.value, Symbol)}
        if len(bindings) != 1 or len(values) != 1:
            continue
        (qualname,) = values
        if qualname in {"keras", "tensorflow.keras"}:
            return name
        if qualname == "tensorflow":
            found = f"{name}.keras"
    return found


def module_name(source: SourceFacts, module: str) -> str | None:
    """The name the script binds ``module`` to at module level (``import torch`` -> torch),
    for a fix that inserts a call; None when it binds no such name."""
    for name, bindings in source.evaluator.module_scope.bindings.items():
        values = {b.value.qualname for b in bindings if isinstance(b.value, Symbol)}
        if len(bindings) == 1 and values == {module}:
            return name
    return None


def argument_edit(
    call: CallSite | None,
    name: str,
    keyword: str,
    value: str,
    *,
    line: int = 0,
    old: object = None,
    safe: bool = True,
) -> Edit:
    """An edit setting ``keyword`` (positional index from Keras' signature) of the call
    named ``name``, located by ``call`` (line and column) or by ``line`` alone."""
    signature = api.METHOD_SIGNATURES.get(name) or next(
        (params for q, params in api.SIGNATURES.items() if q.rpartition(".")[2] == name), ()
    )
    position = list(signature).index(keyword) if keyword in signature else None
    return Edit(
        "argument",
        value,
        line=call.line if call is not None else line,
        col=call.col if call is not None else 0,
        call=name,
        keyword=keyword,
        position=position,
        old=repr(old) if old is not None else None,
        safe=safe,
    )


def at_site(site: Site | None, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation at a captured site (which may be in another of the user's files)."""
    if site is None:
        return Violation(message, fix=fix, data=data)
    return Violation(message, site.line, 0, None, fix, data=data, path=site.path)


def at_layer(layer: LayerFacts, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation about a layer, located where the user's code built it."""
    site = layer.site
    return Violation(
        message,
        site.line if site else 0,
        fix=fix,
        layer=layer.name,
        data=data,
        path=site.path if site else None,
    )


def single_output(model: ModelFacts) -> tuple[OutputFacts, str] | None:
    """The one output and its loss name, for single-output models with one loss."""
    if len(model.outputs) != 1 or len(model.losses) != 1:
        return None
    return model.outputs[0], model.losses[0].name


def single_target(data: DataFacts) -> TargetStats | None:
    """The targets of a single-output task, or None."""
    return data.targets[0] if len(data.targets) == 1 else None


def is_classification(model: ModelFacts) -> bool:
    """Every loss of the model is a classification loss (cross-entropy, hinge)."""
    return bool(model.losses) and all(loss.name in CLASSIFICATION_LOSSES for loss in model.losses)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def aligned_choices(value: int, multiple: int) -> tuple[int, int]:
    """The nearest multiples of ``multiple`` below and above ``value`` (below is >= multiple)."""
    lower = max(multiple, value // multiple * multiple)
    upper = (value // multiple + 1) * multiple
    return lower, upper


# Stand-ins for facts a target cannot have (registry.stand_in), made when a rule first
# judges such a target: declaring a rule imports no facts module (--static loads none).


@cache
def data_file_training() -> TrainFacts:
    """The training configuration of a data file checked on its own: nothing is known, so
    the data rules' fallbacks pass this and their findings point at the file itself."""
    from nncheck.facts.live import TrainFacts

    return TrainFacts(entry="data_file")


@cache
def no_source() -> SourceFacts:
    """A saved model has no training script: the rules that read the source for a location
    (or for what the script does about a problem) see an empty one."""
    return SourceFacts.from_text("", "<saved model>")


@cache
def no_model() -> ModelFacts:
    """A data file checked without its model: a model that preprocesses nothing, so only
    the data decides (D201)."""
    from nncheck.facts.live import ModelFacts

    return ModelFacts("", "")


__all__ = ["fmt_number", "fmt_sci"]

LINEAR = {None, "linear"}


SATURATING = {"sigmoid", "tanh"}


def consumers_of(model: ModelFacts) -> dict[str, list[LayerFacts]]:
    consumers: dict[str, list[LayerFacts]] = {}
    for layer in model.layers:
        for name in layer.inputs:
            consumers.setdefault(name, []).append(layer)
    return consumers


def output_layer_names(model: ModelFacts) -> set[str]:
    return {output.layer for output in model.outputs}


def hidden_user_layers(model: ModelFacts) -> Iterator[LayerFacts]:
    """User layers that are certainly not an output; none when the graph is not visible
    (a subclassed model's head is not known, so no layer is known to be hidden)."""
    if not model.graph_visible:
        return iter(())
    outputs = output_layer_names(model)
    return (layer for layer in user_layers(model) if layer.name not in outputs)


def user_layers(model: ModelFacts) -> Iterator[LayerFacts]:
    """Layers built in the user's code (not inside keras.applications and the like)."""
    return (layer for layer in model.layers if layer.site is not None)


def single_output_and_target(
    model: ModelFacts, data: DataFacts
) -> tuple[OutputFacts, str, TargetStats] | None:
    """The one output, its loss name and its targets, for single-output models."""
    output, target = single_output(model), single_target(data)
    if output is None or target is None:
        return None
    return *output, target


def static_kind(call: Any) -> str:
    return (call.qualname or "").rpartition(".")[2] if isinstance(call, CallSite) else ""


def static_activation(source: SourceFacts, call: CallSite) -> Any:
    """The activation a Dense/Conv/RNN or activation layer applies (SourceFacts' reading)."""
    layer = source.layer_for(call)
    return UNKNOWN if layer is UNKNOWN else layer.activation


def sequential_pairs(source: SourceFacts) -> Iterator[tuple[CallSite, Any, bool]]:
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


CATEGORICAL_MAX_DISTINCT = 20


IMAGE_CHANNELS = {1, 3, 4}


def is_image(stats: InputStats, *, or_uint8_grayscale: bool = False) -> bool:
    """Height x width x 1, 3 or 4 channels; with ``or_uint8_grayscale`` also height x width
    of uint8 (no channel axis), as keras.datasets.mnist loads grayscale images."""
    if len(stats.shape) == 3:
        return stats.shape[-1] in IMAGE_CHANNELS
    grayscale = len(stats.shape) == 2 and stats.dtype == "uint8" and min(stats.shape) >= 8
    return or_uint8_grayscale and grayscale


def has_unknown_label(target: TargetStats) -> bool:
    """-1 among otherwise non-negative class ids: the usual code for "unknown"."""
    if target.kind != "sparse" or "-1" not in target.classes or len(target.classes) < 2:
        return False
    return all(float(label) >= 0 for label in target.classes if label != "-1")


# Target kinds that are class labels (not continuous values)
CLASS_LABEL_KINDS = frozenset({"binary", "sparse", "one_hot", "multi_hot"})


def embeds_tokens(model: ModelFacts) -> bool:
    """The model has an Embedding, at the top or inside a custom layer."""
    return model.embeds_tokens or any(layer.kind == "Embedding" for layer in model.layers)


def token_ids(model: ModelFacts, stats: InputStats) -> bool:
    """An integer input of a model with an Embedding: token (or category) ids, not numbers;
    a position that is padding in every row is not a constant feature."""
    return stats.integer_valued and embeds_tokens(model)


def tabular_inputs(model: ModelFacts, data: DataFacts) -> Iterator[InputStats]:
    if model.preprocessing_at_input:
        return  # something transforms the inputs before the first weighted layer
    for stats in data.inputs:
        if not stats.features or token_ids(model, stats):
            continue
        yield stats


ALIGNMENT = 8


# A width written as the number of classes (or vocabulary) is set by the task, not tunable.
TASK_WIDTH_NAME = re.compile(r"class|label|categor|vocab|num_out|n_out|target", re.IGNORECASE)


def compiled_loss(source: SourceFacts, compile_call: CallSite) -> tuple[str | None, Any]:
    """(loss name, from_logits) of a compile() call; (None, UNKNOWN) when not certain."""
    value = source.call_arg(compile_call, "loss")
    if isinstance(value, str):
        return value.lower(), False
    if isinstance(value, Symbol) and value.qualname.startswith("keras.losses."):
        return value.short.lower(), False
    qualname = value.qualname or "" if isinstance(value, CallSite) else ""
    if qualname.startswith("keras.losses."):
        name = api.LOSS_CLASSES.get(qualname.rpartition(".")[2])
        if name is None:
            return None, UNKNOWN
        from_logits = source.call_arg(value, "from_logits")
        return name, False if from_logits is MISSING else from_logits
    return None, UNKNOWN


class CompiledOutput(NamedTuple):
    """A model's compile() call and its output layer, where the source makes both certain."""

    compile: CallSite
    loss: str
    from_logits: Any
    activation: Any
    units: Any
    where: str  # "the output layer (line 12)"


# (message, fix, data) of a finding, before it is located
Problem = tuple[str, str, dict[str, Any]]


def compiled_output_problems(
    source: SourceFacts,
    judge: Callable[[CompiledOutput], Problem | None],
    edit: Callable[[CompiledOutput], Edit | None] | None = None,
) -> Iterator[Violation]:
    """A violation at each compile() call whose output ``judge`` finds a problem with (the
    static halves of M102 and M103, whose live halves judge the captured output alike),
    with the ``edit`` that fixes it where there is one."""
    for model in source.models:
        if model.compile is None:
            continue
        loss, from_logits = compiled_loss(source, model.compile)
        if loss is None:
            continue
        activation, units, line = source.output_activation(model)
        if activation is UNKNOWN:
            continue
        where = f"the output layer (line {line})" if line else "the output layer"
        compiled = CompiledOutput(model.compile, loss, from_logits, activation, units, where)
        problem = judge(compiled)
        if problem:
            message, fix, data = problem
            violation = at(model.compile, message, fix, **data)
            yield dataclasses.replace(violation, edit=edit(compiled)) if edit else violation


def static_multiple(source: SourceFacts) -> tuple[int, str]:
    """The width multiple Tensor Cores want for the dtype the source trains in: 8 when its
    code names float16/bfloat16 (a policy, a dtype), else 4 (float32 runs as TF32 on
    Ampere and newer), which is what the full check measures on the layers' dtype."""
    named = source.identifiers | source.string_literals  # code, never comments or docstrings
    if any("float16" in name for name in named):
        return 8, "the script uses float16/bfloat16, and Tensor Cores want multiples of 8"
    return 4, (
        "the source sets no float16/bfloat16 policy, so it trains in float32 (TF32 on Ampere "
        "and newer), and Tensor Cores want multiples of 4"
    )


def static_misaligned_widths(
    source: SourceFacts, family: dict[str, str], min_width: int
) -> Iterator[Violation]:
    multiple, why = static_multiple(source)
    for layer in source.layers:
        if layer.call.qualname not in family:
            continue
        if not is_tunable_width(layer, min_width, multiple):
            continue
        width = layer.width
        lower, upper = aligned_choices(width, multiple)
        message = (
            f"{layer.kind} with {width} {layer.width_param}: not a multiple of {multiple}; {why}"
        )
        name = layer.call.arg("name")
        called = (layer.call.qualname or "").rpartition(".")[2]
        yield Violation(
            message,
            layer.call.line,
            layer.call.col,
            layer.call.end_line,
            f"{layer.width_param}={upper}  # or {lower}",
            layer=name if isinstance(name, str) else None,
            data={"width": width, "multiple": multiple},
            edit=_width_edit(layer.call, called, layer.width_param, width, upper),
        )


def _width_edit(
    call: CallSite | None, kind: str, param: str | None, width: int, upper: int, line: int = 0
) -> Edit | None:
    """Rounding a width up changes the model (more units): an unsafe fix."""
    if not param:
        return None
    return argument_edit(call, kind, param, str(upper), line=line, old=width, safe=False)


def is_tunable_width(layer: LayerSite, min_width: int, multiple: int = ALIGNMENT) -> bool:
    """A hidden-layer width the user chose: literal, >= 16, not the task-given output width."""
    width = layer.width
    if not isinstance(width, int) or isinstance(width, bool):
        return False
    if width < min_width or width % multiple == 0 or layer.is_output:
        return False
    if layer.activation in {"softmax", "sigmoid"}:
        return False  # an output layer whose model nncheck could not trace
    return not TASK_WIDTH_NAME.search(layer.width_text)


def module_expression(path: str, root: str = "model") -> str:
    """A PyTorch submodule's dotted path as Python: "head.2" -> "model.head[2]"; "" (the
    model itself) -> "model"."""
    parts = path.split(".") if path else []
    return root + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts)


def last_of_sequential(module: CallSite | None) -> CallSite | None:
    """The last module built into an ``nn.Sequential(...)`` call, where the source shows it:
    what the model's output comes out of."""
    if module is None or module.qualname != "torch.nn.Sequential" or not module.node.args:
        return None
    last = module.arg("", len(module.node.args) - 1)
    return last if isinstance(last, CallSite) else None


def listed(items: list[str], shown: int = 3) -> str:
    """The first ``shown`` items, and how many more there are: "a, b, c and 2 more"."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def output_location(output: OutputFacts) -> str:
    line = f" (line {output.site.line})" if output.site and output.site.line else ""
    if not output.layer:  # a PyTorch model that is its own output layer (nn.Linear)
        return f"the model's output layer{line}"
    return f"the output layer '{output.layer}'{line}"


def live_misaligned_widths(
    model: ModelFacts, kinds: set[str], min_width: int
) -> Iterator[Violation]:
    outputs = {o.layer for o in model.outputs}
    for layer in model.layers:
        if layer.kind not in kinds or layer.site is None or layer.width is None:
            continue  # layers built inside a library (keras.applications) are not the user's
        if layer.name in outputs or layer.width < min_width:
            continue
        half = layer.compute_dtype in {"float16", "bfloat16"}
        if model.framework == "pytorch" and not half:
            continue  # float32 matmuls use no Tensor Cores in PyTorch unless TF32 is enabled
        multiple = 8 if half else 4
        if layer.width % multiple == 0:
            continue
        lower, upper = aligned_choices(layer.width, multiple)
        precision = (
            f"{layer.compute_dtype}, so Tensor Cores want multiples of 8"
            if multiple == 8
            else "float32 (TF32 on Ampere and newer), so Tensor Cores want multiples of 4"
        )
        violation = at_layer(
            layer,
            f"{layer.kind} '{layer.name}' has {layer.width_param}={layer.width}: it computes in "
            f"{precision}, and {layer.width} is not one",
            f"{layer.width_param}={upper}  # or {lower}",
            width=layer.width,
            multiple=multiple,
            dtype=layer.compute_dtype,
        )
        if model.framework == "pytorch":  # the width is positional in torch: no rewrite
            yield violation
            continue
        edit = _width_edit(
            None, layer.kind, layer.width_param, layer.width, upper, line=layer.site.line
        )
        yield dataclasses.replace(violation, edit=edit)


def vanishing_gradient(
    layers: list[LayerGradient], min_ratio: float
) -> tuple[str, float, str, float] | None:
    """(weakest early layer, its relative gradient, strongest late layer, its) when the
    layers nearest the input get less than ``min_ratio`` of the relative gradient of the
    layers nearest the loss (medians of the first and last thirds, in model order);
    relative = gradient norm / weight norm of the layer's weight matrices."""
    relative = [(layer.layer, layer.relative) for layer in layers]
    if len(relative) < 3:
        return None
    third = max(1, len(relative) // 3)
    early, late = relative[:third], relative[-third:]
    early_median = sorted(r for _, r in early)[len(early) // 2]
    late_median = sorted(r for _, r in late)[len(late) // 2]
    if late_median > 0 and early_median / late_median < min_ratio:
        low = min(early, key=lambda item: item[1])
        high = max(late, key=lambda item: item[1])
        return low[0], low[1], high[0], high[1]
    return None


def overfit_learned(overfit: Overfit, factor: float) -> bool:
    """The configured optimizer learned the single batch."""
    from nncheck.facts.probe_results import batch_learned

    return batch_learned(overfit.losses, overfit.accuracy, overfit.classes, factor, overfit.floor)


def reference_learned(overfit: Overfit | None, factor: float) -> bool:
    """The reference optimizer (Adam at 1e-3) learned the batch the configured one failed
    on: the model can learn, so the configured settings are what failed."""
    reference = overfit.reference if overfit is not None else None
    if overfit is None or reference is None:
        return False
    from nncheck.facts.probe_results import batch_learned

    return batch_learned(
        reference.losses, reference.accuracy, overfit.classes, factor, overfit.floor
    )


def broken_numerics(probes: ProbeFacts) -> bool:
    """Non-finite gradients (X103): other gradient and activation measures mean nothing."""
    from nncheck.facts.probe_results import Gradients

    gradients = probes.measured(Gradients)
    return bool(gradients and gradients.non_finite)


EARLY_STOPPING = "keras.callbacks.EarlyStopping"


# Lightning's own callbacks that neither stop training nor save the model
LIGHTNING_PASSIVE_CALLBACKS = {
    "ModelSummary",
    "RichModelSummary",
    "TQDMProgressBar",
    "RichProgressBar",
    "LearningRateMonitor",
    "DeviceStatsMonitor",
    "GradientAccumulationScheduler",
    "StochasticWeightAveraging",
}

# Keras' own callbacks: anything else may stop training or save the model by itself.
KNOWN_CALLBACKS = {
    "EarlyStopping",
    "ModelCheckpoint",
    "BackupAndRestore",
    "ReduceLROnPlateau",
    "LearningRateScheduler",
    "TensorBoard",
    "CSVLogger",
    "ProgbarLogger",
    "History",
    "TerminateOnNaN",
    "RemoteMonitor",
    "SwapEMAWeights",
}


def callbacks_known(source: SourceFacts, fit: FitSite) -> list[CallSite] | None:
    """The fit's callbacks when every one is a known construction; None when any is unseen."""
    callbacks = source.callbacks_of(fit)
    if callbacks is None or any(not isinstance(c, CallSite) for c in callbacks):
        return None
    return callbacks


def has_validation(fit: FitSite) -> bool | None:
    data, split = fit.arg("validation_data"), fit.arg("validation_split")
    if data is UNKNOWN or split is UNKNOWN:
        return None
    return data is not None or (is_number(split) and split > 0)


TENSOR_CORE_ALIGNMENT_DOC = """
## Why is this bad?
NVIDIA Tensor Cores run matrix multiplies and convolutions in float16/bfloat16 most
efficiently when the dimensions are multiples of 8 (TF32: 4, INT8: 16). On cuBLAS >= 11
and cuDNN >= 7.6.3 other sizes still use Tensor Cores, but less efficiently; on older
libraries they fall back to slower kernels. The full check judges each layer by its
compute dtype; `--static` by what the source shows: multiples of 8 when it mentions a
float16/bfloat16 policy, 4 otherwise (Keras trains in float32 unless told otherwise). A
multiple of 8 is aligned for every dtype. In PyTorch, float32 matrix multiplies use no
Tensor Cores unless TF32 is switched on, so only layers that compute in float16/bfloat16
at the first step (a half-precision model, or the step under `torch.autocast`) are judged.

## Options
`min-width` (16): narrower layers are exempt (their cost is negligible), and so is the
output layer, whose width is the number of classes or targets. Width arguments spelled
with the number of classes (`num_classes`, `len(labels)`) are recognised as task-given.

## References
NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1;
tip 15 of the training tips.
"""


LAMBDA_FIX = (
    "replace the lambda with a named function registered with "
    "@keras.saving.register_keras_serializable() (or a small custom layer); load with "
    "safe_mode=False only checkpoints you trust"
)


def round_trip_fix(checkpoint: Checkpoint) -> str:
    """The fix for a failed save/load round trip, by its cause: a Python lambda, an object
    whose constructor arguments Keras cannot serialize, or a class Keras cannot find."""
    if checkpoint.uses_lambda:
        return LAMBDA_FIX
    error = checkpoint.error or ""
    named = re.search(r"Object (\w+) was created", error)
    if named or "get_config" in error or checkpoint.without_config:
        classes = [named.group(1)] if named else checkpoint.without_config
        who = " and ".join(classes) if classes else "the custom layer or model"
        return (
            f"give {who} a get_config() that returns every constructor argument (and "
            "register the class with @keras.saving.register_keras_serializable())"
        )
    return (
        "register custom layers and models with "
        "@keras.saving.register_keras_serializable() so that load_model finds them"
    )


def saves_the_model(train: TrainFacts, source: SourceFacts) -> bool:
    """The script saves its model: a ModelCheckpoint, ``model.save`` and the like in its
    source, or a saved model checked with its data (a file that is saved and loaded)."""
    checkpoints = any(c.kind == "ModelCheckpoint" for c in train.callbacks)
    return train.entry == "data_file" or checkpoints or source.saves_model


# methods that return the module they are called on
MODULE_RETURNING = {"to", "cuda", "cpu", "train", "eval", "float", "half", "double"}


def saves_torch_module(source: SourceFacts) -> bool:
    """The source calls ``torch.save`` on a module object (``torch.save(model, path)``, the
    model built by a call in the script), not on a state_dict or a dict of them."""
    for call in source.calls_to("torch.save"):
        value = call.arg("obj", 0)
        while isinstance(value, CallSite) and value.method in MODULE_RETURNING:
            value = value.receiver
        if not isinstance(value, CallSite) or value.method or value.callee is not None:
            continue
        qualname = value.qualname or ""
        # the script's own class or builder (no qualified name), or a torch.nn module
        if not qualname or qualname.startswith(("torch.nn.", "torchvision.models.")):
            return True
    return False


SAVING = ("save", "checkpoint", "log_model")  # torch.save, save_state, save_pretrained...


def saves(call: CallSite) -> bool:
    """The call's name says it saves a model or a checkpoint."""
    return any(word in call.text().lower() for word in SAVING)


class EpochLoop(NamedTuple):
    """A PyTorch training loop over epochs: its ``range`` call, its epoch count and the
    calls inside it that save."""

    range_call: CallSite
    epochs: int
    saves: list[CallSite]


def torch_epoch_loop(source: SourceFacts, step: CallSite) -> EpochLoop | None:
    """The outermost ``for ... in range(N)`` around ``step`` with a literal or constant N,
    when another loop inside it (over the batches) holds the step: N counts epochs. A
    ``range`` loop that steps directly counts steps (a full-batch loop), not epochs."""
    found: tuple[ast.For, CallSite, int] | None = None
    for loop in ast.walk(source.tree):
        if not isinstance(loop, ast.For) or not any(n is step.node for n in ast.walk(loop)):
            continue
        inner = [
            node
            for node in ast.walk(loop)
            if node is not loop
            and isinstance(node, ast.For | ast.While)
            and any(n is step.node for n in ast.walk(node))
        ]
        if not inner:
            continue
        call = next((c for c in source.calls if c.node is loop.iter), None)
        if call is None or call.text() != "range" or not 1 <= len(call.node.args) <= 3:
            continue
        stop = call.arg("stop", 0 if len(call.node.args) == 1 else 1)
        if is_number(stop) and (found is None or loop.lineno < found[0].lineno):
            found = (loop, call, int(stop))
    if found is None:
        return None
    loop, range_call, epochs = found
    inside = {id(node) for node in ast.walk(loop)}
    saved = [c for c in source.calls if id(c.node) in inside and saves(c)]
    return EpochLoop(range_call, epochs, saved)


def torch_epoch_loop_of(source: SourceFacts, min_epochs: int) -> EpochLoop | None:
    """The first loop of at least ``min_epochs`` epochs around a torch.optim step."""
    for step in source.torch_optimizer_steps:
        loop = torch_epoch_loop(source, step)
        if loop is not None and loop.epochs >= min_epochs:
            return loop
    return None


def peak_learning_rate(source: SourceFacts, value: Any) -> Any:
    """The rate training runs at: a literal rate, or a Keras schedule's peak (a warm-up's
    ``warmup_target``, which its start at ``initial_learning_rate`` only leads to; the
    highest of a piecewise schedule's values; else its initial rate); UNKNOWN otherwise."""
    if is_number(value):
        return value
    qualname = value.qualname or "" if isinstance(value, CallSite) else ""
    if isinstance(value, CallSite) and qualname.startswith("keras.optimizers.schedules."):
        if qualname.endswith("PiecewiseConstantDecay"):
            values = source.call_arg(value, "values")
            if isinstance(values, list | tuple) and values and all(map(is_number, values)):
                return max(values)
            return UNKNOWN
        target = source.call_arg(value, "warmup_target")
        if target is not MISSING and target is not None:
            return target
        return source.call_arg(value, "initial_learning_rate")
    return UNKNOWN


# Keras 3's default learning rate of each optimizer (by class name, lowercased)
DEFAULT_LEARNING_RATES = {"sgd": 0.01, "lion": 1e-4}


def compiled_learning_rate(source: SourceFacts, compile_call: CallSite) -> float | None:
    """The initial learning rate of the optimizer a compile() call gets: a name ("adam")
    at its default, or a keras.optimizers object's literal or default rate; None unknown."""
    value = source.call_arg(compile_call, "optimizer")
    if isinstance(value, str):
        name = value.lower()
    elif isinstance(value, CallSite) and (value.qualname or "").startswith("keras.optimizers."):
        name = (value.qualname or "").rpartition(".")[2].lower()
        rate = value.arg("learning_rate", 0)
        if rate is not MISSING:
            rate = peak_learning_rate(source, rate)
            return float(rate) if is_number(rate) else None
    else:
        return None
    if name.lower() not in {n.lower() for n in api.LR_RANGES}:
        return None
    return DEFAULT_LEARNING_RATES.get(name, 1e-3)


MAP_FUNCTION_DEPTH = 4  # the script's own functions followed from a map function


def map_function_call(
    source: SourceFacts, step: CallSite, wanted: Callable[[CallSite], bool]
) -> CallSite | None:
    """The first call that ``wanted`` accepts in what a ``Dataset.map()`` step applies: a
    lambda, one of the script's functions (and the script's functions they call), or a
    layer; a call of a layer object counts as the layer's construction (``augment(x)``)."""
    node = step.arg_node("map_func", 0)
    if isinstance(node, ast.Lambda):
        return _first_call(source, node.body, wanted, 0)
    if node is None:
        return None
    target = source.evaluator.value(node, step.scope, step.block)
    if isinstance(target, CallSite) and wanted(target):
        return target
    if isinstance(target, LocalFunction):
        return _first_call(source, target.node, wanted, 1)
    return None


def _first_call(
    source: SourceFacts, node: ast.AST, wanted: Callable[[CallSite], bool], depth: int
) -> CallSite | None:
    if depth > MAP_FUNCTION_DEPTH:
        return None
    for child in ast.walk(node):
        if not isinstance(child, ast.Call):
            continue
        call = source.evaluator.call_site_by_id(id(child))
        if wanted(call) or (call.callee is not None and wanted(call.callee)):
            return call
        if isinstance(child.func, ast.Name):
            target = source.evaluator.value(child.func, call.scope, call.block)
            if isinstance(target, LocalFunction):
                found = _first_call(source, target.node, wanted, depth + 1)
                if found is not None:
                    return found
    return None


def checked_fit(source: SourceFacts, train: TrainFacts) -> FitSite | None:
    """The fit() call of this file that nncheck captured (None when it ran elsewhere)."""
    site = train.site
    if site is None or Path(site.path).resolve() != Path(source.path).resolve():
        return None
    return next((fit for fit in source.fits if fit.call.line == site.line), None)
