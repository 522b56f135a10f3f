"""What each active probe measured: one dataclass per probe, named fields, no framework.

The probes (``nncheck.adapters.probes``) fill them in the capture's child process; rules and
reports read them by name (``probes.measured(Overfit).losses``). :data:`PROBES` is the one
list of probes, in the order they run, with the label the report shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class LossAtInit:
    """X102: the loss of the untrained model on a batch, and what its output bias predicts."""

    name: ClassVar[str] = "loss_at_init"
    label: ClassVar[str] = "loss at init"
    needs_labels: ClassVar[bool] = True  # the probe trains or evaluates on labelled batches

    loss: float
    expected: float | None  # None: no expected value for this loss and activation
    samples: int


@dataclass
class LayerGradient:
    """One layer's gradient and weight norms (its weight matrices: kernels, embeddings)."""

    layer: str
    gradient_norm: float
    weight_norm: float

    @property
    def relative(self) -> float:
        """The layer's relative gradient: how fast a step changes its weights."""
        return self.gradient_norm / (self.weight_norm + 1e-12)


@dataclass
class Gradients:
    """X103/X104/X105: the loss gradient of every trainable variable on one batch."""

    name: ClassVar[str] = "gradients"
    label: ClassVar[str] = "gradients"
    needs_labels: ClassVar[bool] = True

    layers: list[LayerGradient]  # in model order
    disconnected: list[str]  # variable paths whose gradient is None
    zero: list[str]  # all-zero gradients (JAX and torch give zeros where TensorFlow gives None)
    non_finite: int  # how many gradients hold NaN or Inf
    variables: int  # trainable variables in all


@dataclass
class LayerDeadShare:
    """One ReLU layer: the share of its units that output 0 for every sample."""

    layer: str
    dead_share: float
    units: int


@dataclass
class DeadUnits:
    """X106: dead ReLU units on a batch."""

    name: ClassVar[str] = "dead_units"
    label: ClassVar[str] = "dead ReLU"
    needs_labels: ClassVar[bool] = True

    layers: list[LayerDeadShare]
    samples: int


@dataclass
class ReferenceRun:
    """The overfit retried with a reference optimizer, when the configured one did not learn."""

    optimizer: str  # "Adam(learning_rate=0.001)"
    losses: list[float]
    accuracy: float | None
    learned: bool


@dataclass
class Overfit:
    """X101/X103/X107: a copy trained on one small batch until it learns it (or the steps end)."""

    name: ClassVar[str] = "overfit"
    label: ClassVar[str] = "overfit 1 batch"
    needs_labels: ClassVar[bool] = True

    losses: list[float]
    steps: int
    max_steps: int
    accuracy: float | None  # on the batch, after training; None when not a classification
    classes: int  # distinct labels in the batch
    batch: int  # samples in the batch
    reference: ReferenceRun | None = None
    # the loss of perfect predictions on the batch: 0 for hard labels, the targets'
    # entropy for probabilities under cross-entropy (an autoencoder's pixels, soft labels)
    floor: float = 0.0

    @property
    def learned(self) -> bool:
        return batch_learned(self.losses, self.accuracy, self.classes, floor=self.floor)


@dataclass
class LrRange:
    """X107: the loss along a learning-rate sweep (one step per rate, low to high)."""

    name: ClassVar[str] = "lr_range"
    label: ClassVar[str] = "LR range"
    needs_labels: ClassVar[bool] = True

    rates: list[float]
    losses: list[float]
    suggested: float | None  # a tenth of the rate at the lowest smoothed loss
    diverged_at: float | None  # where the loss passed 4x its minimum (or stopped being finite)
    still_falling: bool = False  # no suggestion: the loss still fell at the sweep's last rate


@dataclass
class Checkpoint:
    """X110: the model saved the way the script saves it and loaded in a fresh namespace."""

    name: ClassVar[str] = "checkpoint"
    label: ClassVar[str] = "checkpoint"
    needs_labels: ClassVar[bool] = True

    ok: bool  # loaded, and it predicts what the original predicts
    how: str  # "model.keras (full model)", "weights only", ...
    error: str | None = None
    uses_lambda: bool = False  # the loading error names a Lambda layer's function
    # the user's layer and model classes that take constructor arguments and have no
    # get_config of their own: the likely cause when the error names only the container
    without_config: list[str] = field(default_factory=list)


@dataclass
class StepMemory:
    """X112: about how much memory one training step needs (from shapes, not measured)."""

    name: ClassVar[str] = "memory"
    label: ClassVar[str] = "step memory"
    needs_labels: ClassVar[bool] = False  # shapes only

    activation_bytes_per_sample: int
    batch_size: int
    parameter_bytes: int
    step_bytes: int  # weights + gradients + optimizer slots + activations for the backward pass


@dataclass
class MixedPrecision:
    """X111: median step seconds as is, with mixed_float16, and with widths padded to 8."""

    name: ClassVar[str] = "mixed_precision"
    label: ClassVar[str] = "mixed precision"
    needs_labels: ClassVar[bool] = True

    as_is: float
    mixed_float16: float | None = None
    aligned: float | None = None
    # PyTorch: the step under torch.autocast (its dtype), and a conv net in channels_last
    autocast: float | None = None
    autocast_dtype: str | None = None
    channels_last: float | None = None

    def speedups(self) -> dict[str, float]:
        """Variant -> how many times faster than as is."""
        variants = {
            "mixed_float16": self.mixed_float16,
            "aligned": self.aligned,
            f"{self.autocast_dtype}_autocast": self.autocast,
            "channels_last": self.channels_last,
        }
        return {name: self.as_is / t for name, t in variants.items() if t and self.as_is}


@dataclass
class Throughput:
    """X108: median seconds of one training step and of drawing one batch from the input."""

    name: ClassVar[str] = "throughput"
    label: ClassVar[str] = "throughput"
    needs_labels: ClassVar[bool] = False  # says itself why it skips without them

    source: str  # "arrays", "dataset", "generator", "py_dataset", "dataloader", ...
    batch_size: int
    step_s: float
    pipeline_s: float | None  # None: the data is in memory
    pipeline_batch_size: int | None
    steps: int
    workers: int | None = None  # a PyTorch DataLoader's num_workers

    @property
    def pipeline_batch(self) -> int:
        """Samples in one batch the input pipeline produces."""
        return self.pipeline_batch_size or self.batch_size

    @property
    def step_s_per_pipeline_batch(self) -> float:
        """The step was timed on batch_size samples: its time for one pipeline batch."""
        return self.step_s * self.pipeline_batch / self.batch_size


@dataclass
class Stopped:
    """A probe that --probe-budget stopped: the share of its work it had done."""

    done: float


ProbeValues = (
    LossAtInit
    | Gradients
    | DeadUnits
    | Overfit
    | LrRange
    | Checkpoint
    | StepMemory
    | MixedPrecision
    | Throughput
)

# The probes, in the order they run: the one list of names and labels.
PROBES: tuple[type[ProbeValues], ...] = (
    LossAtInit,
    Gradients,
    DeadUnits,
    Overfit,
    LrRange,
    Checkpoint,
    StepMemory,
    MixedPrecision,
    Throughput,
)
PROBE_LABELS: dict[str, str] = {probe.name: probe.label for probe in PROBES}


ACCURACY_CHECK_EVERY = 20  # the single-batch probe checks its batch's accuracy this often


def batch_learned(
    losses: list[float],
    accuracy: float | None,
    classes: int,
    factor: float = 10,
    floor: float = 0.0,
) -> bool:
    """A copy learned its batch: the loss fell by ``factor`` towards ``floor`` (the loss of
    perfect predictions: 0 for hard labels, the targets' entropy for soft ones), or every
    sample of a batch with more than one class is classified right. The overfit probe
    decides with it whether to retry with the reference optimizer; X101 and X107 judge
    with it."""
    if accuracy == 1.0 and classes > 1:
        return True
    finite = [v - floor for v in losses if math.isfinite(v)]
    if not finite:
        return False
    return finite[0] <= 0 or min(finite) <= finite[0] / factor


__all__ = ["ACCURACY_CHECK_EVERY", "PROBES", "PROBE_LABELS", "ProbeValues", "batch_learned"]
