"""Live facts: what the script really built and fed, as plain framework-neutral data.

An adapter (one per framework; ``nncheck.adapters.keras3`` first) fills these in the child
process that ran the script, and the parent reads them back. Nothing here imports a
framework, so rules are tested on hand-built instances in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from nncheck.facts.probe_results import ProbeValues, Stopped
from nncheck.options import DEFAULTS

Measured = TypeVar("Measured", bound=ProbeValues)


@dataclass
class Site:
    """Where something was constructed or called in the user's code."""

    path: str
    line: int


@dataclass
class LayerFacts:
    """One layer of the model, in the model's order."""

    name: str
    kind: str  # the class name: "Dense", "Conv2D", "Rescaling", ...
    width: int | None = None  # units / filters / embedding dimension
    width_param: str | None = None  # "units", "filters", "output_dim"
    activation: str | None = None  # "relu", "softmax", "linear", ...
    use_bias: bool | None = None
    compute_dtype: str = "float32"
    input_channels: int | None = None  # last input axis (channels_last) of a convolution
    data_format: str | None = None
    site: Site | None = None  # None: built inside a library (e.g. keras.applications)
    trainable: bool = True
    weighted: bool = False  # has trainable weights of its own (Dense, Conv, Embedding, ...)
    inputs: list[str] = field(default_factory=list)  # names of the layers feeding this one
    kernel_initializer: str | None = None  # class name: "GlorotUniform", "Zeros", ...
    bias_initializer: str | None = None
    rate: float | None = None  # Dropout rate
    output_rank: int | None = None  # rank of the layer's output, batch axis included
    activity_regularized: bool = False  # an activity_regularizer (a sparse autoencoder's)


@dataclass
class OutputFacts:
    """One model output: what reaches the loss."""

    layer: str  # the layer that has the width (Dense / Conv)
    units: int | None
    activation: str  # the activation that reaches the loss (a trailing Activation counts)
    bias: list[float] | None  # the output layer's bias values, None without a bias
    compute_dtype: str = "float32"  # of the layer that emits the output (a trailing Activation)
    site: Site | None = None
    rank: int | None = None  # rank of the model output, batch axis included


@dataclass
class LossFacts:
    name: str  # canonical snake_case: "binary_crossentropy", "mean_squared_error", ...
    from_logits: bool = False
    class_balancing: bool = False  # focal losses with apply_class_balancing / alpha


@dataclass
class ModelFacts:
    """The compiled model at the first training step."""

    name: str
    class_name: str
    layers: list[LayerFacts] = field(default_factory=list)
    outputs: list[OutputFacts] = field(default_factory=list)
    losses: list[LossFacts] = field(default_factory=list)  # one per output, or one for all
    metric_names: list[str] | None = None  # names fit() logs, None when not certain
    optimizer: str | None = None
    # the rate training runs at: a schedule's peak (a warm-up's target, a decay's start)
    learning_rate: float | None = None
    schedule: str | None = None
    global_policy: str = "float32"
    params: int = 0
    preprocessing_at_input: list[str] = field(default_factory=list)  # Rescaling, Normalization…
    compiled: bool = True
    distributed: bool | None = None  # variables created under a tf.distribute strategy scope
    replicas: int = 1  # replicas of the strategy the variables belong to
    pretrained_parts: list[str] = field(default_factory=list)  # nested library models
    # the layer graph is known (Sequential / functional all the way down); a subclassed
    # model's call() is not, so which layer is its output is not known either
    graph_visible: bool = True
    # an Embedding anywhere in the model, nested custom layers included (a keras-io
    # TokenAndPositionEmbedding): integer inputs are then token ids, not numeric features
    embeds_tokens: bool = False
    augments: bool = False  # a Random* preprocessing layer anywhere in the model (RandomFlip...)
    framework: str = "keras"  # "keras" or "pytorch": the language of messages and fixes
    # PyTorch: what the first weighted layer (Linear, Conv) was given on the first step's
    # batch, after anything the dataset, the loop or forward() did; None when not one tensor
    first_layer_input: InputStats | None = None
    # PyTorch: the targets the loss was given on the first step's batch, after the loop
    loss_target: TargetStats | None = None
    # PyTorch: the parameters that param groups with weight_decay > 0 decay, of the kinds
    # decay should spare: normalisation-layer weights and biases (names), and that decay
    decayed_norms: list[str] = field(default_factory=list)
    decayed_biases: list[str] = field(default_factory=list)
    weight_decay: float | None = None


@dataclass
class CallbackFacts:
    kind: str  # the class name
    monitor: str | None = None
    mode: str | None = None  # "auto", "min" or "max"
    patience: int | None = None
    save_weights_only: bool | None = None
    site: Site | None = None


@dataclass
class StepGradients:
    """PyTorch: the gradients the first ``optimizer.step()`` found on the parameters it
    updates, and the calls before it that decide them (T121)."""

    parameters: int
    with_gradient: int  # parameters whose gradient has a nonzero value
    without: int  # parameters whose ``.grad`` is None
    frozen: int  # parameters with requires_grad=False
    backward: Site | None = None  # the last backward() before the step, where seen
    backward_seen: bool = False
    # a zero_grad() of these parameters after that backward() (or with none before it)
    cleared: Site | None = None
    cleared_seen: bool = False
    owner_called: bool = True  # a module holding these parameters ran before the step


@dataclass
class TrainFacts:
    """How training is configured: the fit() arguments or the custom loop."""

    entry: str  # "fit", "train_on_batch", "custom_loop", "lightning" (Trainer.fit)
    site: Site | None = None
    epochs: int | None = None
    batch_size: int | None = None
    steps_per_epoch: int | None = None
    validation: str | None = None  # "data", "split" or None
    validation_split: float = 0.0  # the share of the arrays fit() holds out
    callbacks: list[CallbackFacts] = field(default_factory=list)
    class_weight: dict[int, float] | None = None
    sample_weight: bool = False
    shuffle: bool | None = None
    strategy: str | None = None  # the tf.distribute strategy in use, None for the default
    gpus: int = 0
    # A custom loop's call of the model at its step: training= "true", "false", "missing"
    # (not passed: Keras 3 then runs Dropout and BatchNorm in inference), "unknown" (a
    # tensor), or None when the call was not seen
    loop_training: str | None = None
    loop_call_site: Site | None = None  # where the custom loop calls the model
    # what Keras' own step raised on the first training rows ("ValueError: ..."), if it did
    first_step_error: str | None = None
    # PyTorch: the device type the batch reached the model on ("cpu", "cuda"), and the
    # DataLoader's pin_memory and num_workers, and (batch on CUDA) where its items live
    device: str | None = None
    pin_memory: bool | None = None
    workers: int | None = None
    dataset_device: str | None = None
    precision: str | None = None  # Lightning's Trainer(precision=...), e.g. "32-true"
    step_gradients: StepGradients | None = None  # PyTorch loops: measured at the first step
    grad_scaler: bool | None = None  # PyTorch: an enabled GradScaler was built (None: unknown)


@dataclass
class FeatureStats:
    """Statistics of one input feature (a tabular column) on the sample."""

    index: int
    mean: float
    std: float
    min: float
    max: float
    integer: bool  # every value is a whole number
    distinct: int  # distinct values, capped at 1,000
    name: str | None = None  # the column's name, when the data has names (a CSV header)


@dataclass
class ValueStats:
    """Shape, dtype and value range of one input or target on the sample."""

    name: str
    shape: list[int]  # per-sample shape
    dtype: str
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    inf: int = 0


@dataclass
class InputStats(ValueStats):
    """One model input: its range, and per-feature statistics for rank-1 samples."""

    integer_valued: bool = False
    features: list[FeatureStats] = field(default_factory=list)


@dataclass
class TargetStats(ValueStats):
    """The labels (or regression targets) of one output."""

    kind: str = "unknown"  # "binary", "sparse", "one_hot", "multi_hot", "continuous"
    classes: dict[str, int] = field(default_factory=dict)  # label -> count (classification)
    counted_on: int = 0  # how many labels the counts come from


@dataclass
class DataFacts:
    """A bounded sample of the training (and validation) data."""

    source: str  # "arrays", "dataset", "generator", "py_dataset", "file", "unknown"
    samples: int  # samples in the sample
    inputs: list[InputStats] = field(default_factory=list)
    targets: list[TargetStats] = field(default_factory=list)
    truncated: bool = False  # the sample is smaller than the data
    input_hashes: list[int] = field(default_factory=list)
    target_hashes: list[int] = field(default_factory=list)
    validation_input_hashes: list[int] = field(default_factory=list)
    rows: int = 0  # rows in the whole data when every row was counted (a data file), else 0
    length: int | None = None  # rows fit() received, when known (arrays), sampled or not
    # bytes of one pass over a tf.data input (elements x the first's size), when it is finite
    pass_bytes: int | None = None


@dataclass
class ProbeResult:
    """One active probe on the throw-away clone: what it measured, or why it could not."""

    name: str  # one of PROBE_LABELS
    # "ok"; "skipped" (does not apply here); "over_budget" (stopped by --probe-budget: E007);
    # "not_run" (the budget was spent before it); "crashed" (nncheck's own failure: E005)
    status: str = "ok"
    reason: str = ""  # for the other statuses: one sentence
    seconds: float = 0.0
    values: ProbeValues | Stopped | None = None  # what it measured (Stopped: over_budget)


@dataclass
class ProbeFacts:
    """Every probe's result, in the order they ran, and where they ran."""

    device: str = "CPU"  # "CPU", or the GPU's name
    backend: str = "tensorflow"
    budget: float = DEFAULTS.probe_budget
    seed: int = DEFAULTS.seed
    results: list[ProbeResult] = field(default_factory=list)
    fingerprint: str = ""  # hash of the initial weights and after one step (X109)
    twin_fingerprint: str | None = None  # the same from a second, independent run
    cloning: str = "copy"  # "copy", or "in place" (weights restored) for an uncopyable model

    def get(self, name: str) -> ProbeResult | None:
        """The probe's result when it ran to completion, else None."""
        for result in self.results:
            if result.name == name and result.status == "ok":
                return result
        return None

    def measured(self, kind: type[Measured]) -> Measured | None:
        """What the probe of this kind measured (``probes.measured(Overfit)``) when it ran to
        completion, else None."""
        result = self.get(kind.name)
        values = result.values if result is not None else None
        return values if isinstance(values, kind) else None

    @property
    def seconds(self) -> float:
        return sum(result.seconds for result in self.results)


@dataclass
class GpuFacts:
    """One NVIDIA GPU as NVML reports it."""

    index: int
    name: str
    memory_total_mib: float
    memory_free_mib: float
    compute_capability: tuple[int, int]
    utilization_percent: int | None = None
    other_processes: int = 0  # compute processes already on this GPU

    @property
    def tensor_cores(self) -> bool:
        return self.compute_capability >= (7, 0)


@dataclass
class HardwareFacts:
    """The NVIDIA GPUs visible through NVML (none on a machine without the driver)."""

    gpus: list[GpuFacts] = field(default_factory=list)
    driver: str | None = None
    reason: str = ""  # why there are no GPUs, when there are none


@dataclass
class CaptureResult:
    """What the child process reports back: the facts, or why there are none."""

    # "captured", "error", "unusable", "no_training", "unsupported", "internal_error"
    status: str
    framework: str = "keras"  # the adapter that captured: "keras" or "pytorch"
    model: ModelFacts | None = None
    train: TrainFacts | None = None
    data: DataFacts | None = None
    probes: ProbeFacts | None = None
    error: str | None = None  # "ValueError: ..." for "error"; a sentence for "unusable"
    error_site: Site | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def describe_internal_error(error: BaseException) -> str:
    """One line for a bug in nncheck itself: the exception and the innermost frame."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = ""
    if frame is not None:
        code = frame.tb_frame.f_code
        where = f" (in {code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}, {code.co_name})"
    return f"{type(error).__name__}: {error}{where}"
