"""What the probes compute apart from their loop: the model's size in multiply-adds, the
expected initial loss, the learning-rate sweep's summary, the Tensor-Core variants of a model
and interleaved timings. Pure helpers are unit-tested without a model."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from nncheck.adapters.keras3 import _flat_layers, loss_facts
from nncheck.adapters.probe_limits import THROUGHPUT_STEPS, Budget
from nncheck.facts import probe_results as measured


def multiply_adds_per_sample(model: Any) -> float:
    """About how many multiply-adds one sample costs in the forward pass: each weight matrix
    times the positions it is applied at (a count from the shapes, never a timing)."""
    total = 0.0
    for layer in _flat_layers(model):
        kernel = getattr(layer, "kernel", None)
        shape = getattr(kernel, "shape", None)
        if shape is None:
            continue
        positions = 1
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            output = layer.output
            dims = [d for d in tuple(output.shape)[1:-1] if d is not None]
            positions = int(np.prod(dims)) if dims else 1
        total += float(np.prod(shape)) * positions
    return total


@contextlib.contextmanager
def unsafe_deserialization() -> Iterator[None]:
    """Keras' safe mode off for copying the script's own in-memory model (a Lambda's
    function is the script's, not a file's); restored afterwards."""
    try:
        from keras.src.saving.serialization_lib import SafeModeScope
    except ImportError:  # pragma: no cover - a Keras that moved it: copy in safe mode
        yield
        return
    with SafeModeScope(False):
        yield


def fingerprint(model: Any) -> str:
    """A digest of the model's weights, to compare two runs of the same script."""
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def rewrite_for_tensor_cores(config: dict[str, Any], multiple: int = 8) -> dict[str, Any]:
    """A Sequential/Functional config with hidden widths padded to ``multiple``."""
    layers = config.get("layers", [])
    weighted = [
        layer
        for layer in layers
        if isinstance(layer.get("config", {}).get("units"), int)
        or isinstance(layer.get("config", {}).get("filters"), int)
    ]
    for layer in weighted[:-1]:  # the output layer's width is the task's
        inner = layer["config"]
        key = "units" if "units" in inner else "filters"
        inner[key] = -(-inner[key] // multiple) * multiple
    return config


def measure_tensor_core_changes(
    model: Any,
    batch: tuple[Any, Any],
    budget: Budget,
    steps: int = THROUGHPUT_STEPS,
    loss: Any = None,
    optimizer: Any = None,
) -> measured.MixedPrecision:
    """Step time as is, with mixed_float16, and with widths padded to multiples of 8: the
    variants' steps are interleaved, so a load on the machine slows them alike and their
    ratios hold."""
    x, y = batch
    copies: dict[str, Any] = {}
    for variant in ("as_is", "mixed_float16", "aligned"):
        policy = keras.mixed_precision.global_policy()
        try:
            with unsafe_deserialization():
                if variant == "mixed_float16":
                    keras.mixed_precision.set_global_policy("mixed_float16")
                    copy = keras.models.clone_model(model, clone_function=_with_policy)
                elif variant == "aligned":
                    copy = type(model).from_config(rewrite_for_tensor_cores(model.get_config()))
                else:
                    copy = keras.models.clone_model(model)
            kind = type(optimizer or model.optimizer).__name__.lower()
            copy.compile(optimizer=kind, loss=loss or model.loss)
            copies[variant] = copy
        finally:
            keras.mixed_precision.set_global_policy(policy)
    for copy in copies.values():  # warm-up: compilation and caches
        copy.train_on_batch(x, y)
        copy.train_on_batch(x, y)
    times: dict[str, list[float]] = {name: [] for name in copies}
    for step in range(steps):
        for name, copy in copies.items():
            begin = time.perf_counter()
            copy.train_on_batch(x, y)
            times[name].append(time.perf_counter() - begin)
        budget.check(f"the timed steps reached {step + 1} of {steps}", (step + 1) / steps)
    medians = {name: float(np.median(values)) for name, values in times.items()}
    return measured.MixedPrecision(
        as_is=medians["as_is"],
        mixed_float16=medians.get("mixed_float16"),
        aligned=medians.get("aligned"),
    )


def _with_policy(layer: Any) -> Any:
    config = layer.get_config()
    config["dtype"] = "mixed_float16"
    return type(layer).from_config(config)


def pipeline_batches(x: Any, source: str) -> Iterator[Any] | None:
    if source == "dataset":
        return iter(x)
    if source == "generator":
        return iter(x)
    if source == "py_dataset":
        count = x.num_batches or THROUGHPUT_STEPS + 3
        return (x[i % count] for i in itertools.count())
    return None  # arrays: already in memory


REGRESSION_NAMES = {"mse", "mae", "mean_squared_error", "mean_absolute_error", "huber", "log_cosh"}


def loss_floor(model: Any, x: Any, y: Any) -> float:
    """The compiled loss of perfect predictions on (x, y): what no training gets below.
    0 for hard labels and regression; the targets' entropy for probabilities under
    cross-entropy (an autoencoder's pixels, soft labels). 0 when it cannot be worked out
    (a custom loss nncheck does not know)."""
    try:
        outputs = model.predict_on_batch(x)
        flat_outputs = keras.tree.flatten(outputs)
        flat_targets = keras.tree.flatten(y)
        losses = _losses_per_output(model.loss, outputs, len(flat_outputs))
        if losses is None or len(flat_targets) != len(flat_outputs):
            return 0.0
        perfect = []
        for loss, target, output in zip(losses, flat_targets, flat_outputs, strict=True):
            best = _perfect_prediction(loss, np.asarray(target), np.asarray(output))
            if best is None:
                return 0.0
            perfect.append(best)
        y_pred = keras.tree.pack_sequence_as(outputs, perfect)
        floor = float(keras.ops.convert_to_numpy(model.compute_loss(x=x, y=y, y_pred=y_pred)))
    except Exception:  # a structure nncheck cannot pair up: no floor, as before
        return 0.0
    return max(floor, 0.0) if math.isfinite(floor) else 0.0


def _losses_per_output(loss: Any, outputs: Any, count: int) -> list[Any] | None:
    if isinstance(loss, dict):
        if not isinstance(outputs, dict):
            return None
        return [loss.get(name) for name in sorted(outputs)]  # keras.tree.flatten sorts keys
    if isinstance(loss, list | tuple):
        return list(loss) if len(loss) == count else None
    return [loss] * count


def _perfect_prediction(loss: Any, target: np.ndarray, output: np.ndarray) -> np.ndarray | None:
    """The output that makes ``loss`` smallest for ``target``, shaped like ``output``."""
    identities = loss_facts(loss)
    if len(identities) != 1:
        return None
    name, logits = identities[0].name, identities[0].from_logits
    eps = 1e-7
    if "sparse_categorical" in name:
        ids = target.astype(int).reshape(-1)
        probabilities = np.eye(output.shape[-1])[ids].reshape(output.shape)
    elif "crossentropy" in name or name in {"bce", "cce"}:
        if target.size != output.size:
            return None
        probabilities = target.reshape(output.shape).astype("float64")
    elif name in REGRESSION_NAMES:
        return (
            target.reshape(output.shape).astype(output.dtype)
            if target.size == output.size
            else None
        )
    else:
        return None
    probabilities = np.clip(probabilities, eps, 1 - eps)
    if logits:
        binary = "binary" in name or name == "bce"
        values = np.log(probabilities / (1 - probabilities)) if binary else np.log(probabilities)
        return values.astype(output.dtype)
    return probabilities.astype(output.dtype)
