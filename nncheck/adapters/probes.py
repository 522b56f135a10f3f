"""Active probes: measure the captured setup on a throw-away clone, inside the child process.

Each probe trains or evaluates a clone of the captured model (same architecture, weights at
capture time, loss and optimizer settings, dtype policy) on batches from the captured data
sample, so the user's model, weights, files and iterators are untouched (the input-pipeline
probe reads the user's own iterator, in this throw-away process only). Probes share a time
budget: each gets a share of what is left, and one that runs out says so ("incomplete")
rather than guessing. Results are plain :class:`~nncheck.facts.live.ProbeResult` facts; the
X rules judge them. Keras 3's own API throughout (so the JAX and torch backends work too);
gradients are the one backend-specific piece (:mod:`nncheck.adapters.gradients`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nncheck.adapters.keras3 import _flat_layers, _length, _take
from nncheck.facts.live import CaptureResult, ModelFacts, ProbeFacts, ProbeResult, TrainFacts

OVERFIT_BATCH = 32
OVERFIT_MAX_STEPS = 400
OVERFIT_TARGET = 0.01  # stop once the loss is 1% of its start: past any rule's factor
LR_SWEEP = (1e-7, 10.0)
LR_SWEEP_STEPS = 80
THROUGHPUT_STEPS = 20
MATRIX_WEIGHTS = {
    "kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "embeddings",
    "recurrent_kernel",
}
PIPELINE_BATCHES = 20
# Share of the remaining budget each probe may use, in the order they run.
SHARES = {
    "loss_at_init": 1,
    "gradients": 1,
    "dead_units": 1,
    "overfit": 4,
    "lr_range": 3,
    "checkpoint": 1,
    "memory": 0.2,
    "mixed_precision": 2,
    "throughput": 2,
}


class Skip(Exception):
    """The probe does not apply to this setup; the message says why."""


class OutOfTime(Exception):
    """The probe's share of the budget ran out; the message says how far it got."""


@dataclass
class ProbeOptions:
    budget: float = 60.0
    seed: int = 0
    progress: Path | None = None  # a file the parent reads to show which probe runs

    @classmethod
    def from_env(cls) -> ProbeOptions:
        """The options the parent passed in ``NNCHECK_PROBES`` (JSON)."""
        settings = json.loads(os.environ.get("NNCHECK_PROBES", "{}"))
        return cls(
            budget=float(settings.get("budget", 60)),
            seed=int(settings.get("seed", 0)),
            progress=Path(settings["progress"]) if settings.get("progress") else None,
        )


def for_capture(
    recorder: Any, result: CaptureResult, options: ProbeOptions, reread_one_shot: bool = True
) -> Probes:
    """Probes for what a Recorder captured: its live model, fit()'s arguments, the sample.

    ``reread_one_shot=False`` keeps the throughput probe off a one-shot generator (in the
    caller's own process its batches belong to the caller's training).
    """
    samples = recorder.samples
    source = samples.source if samples is not None else "unknown"
    arguments = dict(recorder.arguments)
    arguments["__source__"] = "unknown" if source == "generator" and not reread_one_shot else source
    return Probes(
        recorder.model,
        samples.x if samples is not None else None,
        samples.y if samples is not None else None,
        arguments,
        result.model,  # type: ignore[arg-type]
        result.train,
        options,
    )


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds
        self.seconds = seconds

    def check(self, what: str) -> None:
        if time.perf_counter() > self.end:
            raise OutOfTime(f"{what} did not finish within its {self.seconds:.1f} s share")

    @property
    def expired(self) -> bool:
        return time.perf_counter() > self.end


class Probes:
    """Runs every probe on one captured setup and collects their results."""

    def __init__(
        self,
        model: Any,
        x: Any,
        y: Any,
        arguments: dict[str, Any],
        facts: ModelFacts,
        train: TrainFacts | None,
        options: ProbeOptions,
    ) -> None:
        self.model, self.x, self.y = model, x, y
        self.arguments, self.facts, self.train, self.options = arguments, facts, train, options
        self.rng = np.random.default_rng(options.seed)
        self.batch_size = (train.batch_size if train else None) or OVERFIT_BATCH
        self.length = _length(x) if x is not None else 0
        self.out = ProbeFacts(
            device=_device(),
            backend=keras.backend.backend(),
            budget=options.budget,
            seed=options.seed,
        )

    # -- running -----------------------------------------------------------------------------

    def run(self) -> ProbeFacts:
        started = time.perf_counter()
        plan: list[tuple[str, Callable[[Deadline], dict[str, Any]]]] = [
            ("loss_at_init", self.loss_at_init),
            ("gradients", self.gradients),
            ("dead_units", self.dead_units),
            ("overfit", self.overfit),
            ("lr_range", self.lr_range),
            ("checkpoint", self.checkpoint),
            ("memory", self.memory),
            ("mixed_precision", self.mixed_precision),
            ("throughput", self.throughput),
        ]
        for index, (name, probe) in enumerate(plan):
            left = self.options.budget - (time.perf_counter() - started)
            remaining_shares = sum(SHARES[n] for n, _ in plan[index:])
            share = max(0.0, left) * SHARES[name] / remaining_shares
            self._progress(name, index, len(plan))
            result = ProbeResult(name)
            begin = time.perf_counter()
            try:
                if self.y is None and name not in {"memory", "throughput"}:
                    raise Skip("no labels reach the training step (a custom loop or unlabelled)")
                if share <= 0:
                    raise OutOfTime("the probe budget was spent before this probe")
                result.values = probe(Deadline(share))
            except Skip as skip:
                result.status, result.reason = "skipped", str(skip)
            except OutOfTime as late:
                result.status, result.reason = "incomplete", str(late)
            except Exception as error:  # the probe's own failure must not end the others
                text = " ".join(str(error).split())[:200]
                result.status, result.reason = "skipped", f"{type(error).__name__}: {text}"
            result.seconds = time.perf_counter() - begin
            self.out.results.append(result)
        self._progress("done", len(plan), len(plan))
        return self.out

    def _progress(self, name: str, index: int, total: int) -> None:
        if self.options.progress is not None:
            with self.options.progress.open("a") as handle:
                handle.write(f"{index}\t{total}\t{name}\n")

    # -- helpers ---------------------------------------------------------------------------

    def clone(self, learning_rate: float | None = None) -> Any:
        """A fresh copy of the model with its capture-time weights, compiled the same way."""
        try:
            copy = keras.models.clone_model(self.model)
        except Exception as error:
            text = " ".join(str(error).split())[:120]
            raise Skip(f"the model cannot be cloned ({type(error).__name__}: {text})") from None
        copy.set_weights(self.model.get_weights())
        for layer in _flat_layers(copy):  # Normalization derives its mean from the weights
            finalize = getattr(layer, "finalize_state", None)
            if callable(finalize) and getattr(layer, "built", False):
                finalize()
        copy.compile(optimizer=self._optimizer(learning_rate), loss=self.model.loss)
        return copy

    def _optimizer(self, learning_rate: float | None) -> Any:
        optimizer = self.model.optimizer
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        config = dict(inner.get_config())
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        return type(inner).from_config(config)

    def batch(self, size: int, start: int = 0) -> tuple[Any, Any]:
        index = np.arange(start, start + size) % max(self.length, 1)
        return _take(self.x, index), _take(self.y, index)

    def _first_batch(self, size: int) -> tuple[Any, Any]:
        index = self.rng.permutation(self.length)[: min(size, self.length)]
        return _take(self.x, index), _take(self.y, index)

    def _mixed_batch(self, size: int) -> tuple[Any, Any]:
        """A batch with every class present when labels are classes (round-robin over them):
        on a batch of one class, 100% accuracy proves nothing."""
        labels = np.asarray(self.y)
        keys = labels.reshape(len(labels), -1)
        if keys.shape[1] > 1:
            keys = keys.argmax(axis=1)[:, None]
        classes, inverse = np.unique(keys[:, 0], return_inverse=True)
        if len(classes) < 2 or len(classes) > size:
            return self._first_batch(size)
        order = self.rng.permutation(len(labels))
        groups = [order[inverse[order] == c] for c in range(len(classes))]
        picked = [g[i] for i in range(size) for g in groups if i < len(g)][:size]
        index = np.array(sorted(picked))
        return _take(self.x, index), _take(self.y, index)

    # -- X102: loss at initialisation --------------------------------------------------------

    def loss_at_init(self, deadline: Deadline) -> dict[str, Any]:
        x, y = self._first_batch(512)
        copy = self.clone()
        loss = float(copy.test_on_batch(x, y, return_dict=True)["loss"])
        expected = expected_initial_loss(self.facts, np.asarray(y))
        return {"loss": loss, "expected": expected, "samples": _length(x)}

    # -- X103 / X104 / X105: gradients ------------------------------------------------------

    def gradients(self, deadline: Deadline) -> dict[str, Any]:
        from nncheck.adapters.gradients import loss_gradients

        x, y = self._first_batch(self.batch_size)
        copy = self.clone()
        grads = loss_gradients(copy, x, y)
        layers: dict[str, list[float]] = {}
        disconnected, zero, non_finite = [], [], 0
        for variable, grad in zip(copy.trainable_variables, grads, strict=True):
            owner = variable.path.split("/")[-2] if "/" in variable.path else variable.path
            if grad is None:
                disconnected.append(variable.path)
                continue
            if not np.any(grad):
                zero.append(variable.path)
                continue
            if not np.all(np.isfinite(grad)):
                non_finite += 1
                continue
            if variable.path.rsplit("/", 1)[-1] not in MATRIX_WEIGHTS:
                continue  # biases and normalisation scales: no depth signal, much noise
            weight = float(np.linalg.norm(np.asarray(variable)))
            norms = layers.setdefault(owner, [0.0, 0.0])
            norms[0] = math.hypot(norms[0], float(np.linalg.norm(grad)))
            norms[1] = math.hypot(norms[1], weight)
        return {
            "layers": [[name, g, w] for name, (g, w) in layers.items()],
            "disconnected": disconnected,
            "zero": zero,  # no dependence on JAX / torch, or dead units on any backend
            "non_finite": non_finite,
            "variables": len(grads),
        }

    # -- X106: dead ReLU units --------------------------------------------------------------

    def dead_units(self, deadline: Deadline) -> dict[str, Any]:
        relu = [
            layer
            for layer in _flat_layers(self.model)
            if _activation_of(layer) == "relu" and _has_output(layer)
        ]
        if not relu:
            raise Skip("the model has no ReLU layers")
        try:
            probe = keras.Model(self.model.inputs, [layer.output for layer in relu])
        except Exception:
            raise Skip("the ReLU layers' outputs are not reachable (a subclassed model)") from None
        x, _ = self._first_batch(256)
        outputs = probe.predict_on_batch(x)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        shares = []
        for layer, out in zip(relu, outputs, strict=True):
            values = np.asarray(out).reshape(-1, np.asarray(out).shape[-1])
            dead = np.all(values <= 0, axis=0)
            shares.append([layer.name, float(dead.mean()), int(dead.size)])
        return {"layers": shares, "samples": _length(x)}

    # -- X101 / X103: single-batch overfit ----------------------------------------------------

    def overfit(self, deadline: Deadline) -> dict[str, Any]:
        x, y = self._mixed_batch(OVERFIT_BATCH)
        several = _distinct_rows(y) > 1
        copy = self.clone()
        losses: list[float] = []
        accuracy = None
        for step in range(OVERFIT_MAX_STEPS):
            loss = float(copy.train_on_batch(x, y, return_dict=True)["loss"])
            losses.append(loss)
            if not math.isfinite(loss):
                break
            if loss <= losses[0] * OVERFIT_TARGET:
                break
            if step % 20 == 19:
                accuracy = _accuracy(self.facts, copy.predict_on_batch(x), np.asarray(y))
                if accuracy == 1.0 and several:
                    break
            if deadline.expired:
                break
        accuracy = _accuracy(self.facts, copy.predict_on_batch(x), np.asarray(y))
        return {
            "losses": losses,
            "steps": len(losses),
            "accuracy": accuracy,
            "classes": _distinct_rows(y),
            "batch": _length(x),
            "timed_out": deadline.expired,
            "share": deadline.seconds,
        }

    # -- X107: learning-rate range test ---------------------------------------------------------

    def lr_range(self, deadline: Deadline) -> dict[str, Any]:
        low, high = LR_SWEEP
        copy = self.clone(learning_rate=low)
        rates, losses = [], []
        factor = (high / low) ** (1 / (LR_SWEEP_STEPS - 1))
        best = math.inf
        for step in range(LR_SWEEP_STEPS):
            rate = low * factor**step
            copy.optimizer.learning_rate.assign(rate)
            x, y = self.batch(self.batch_size, step * self.batch_size)
            loss = float(copy.train_on_batch(x, y, return_dict=True)["loss"])
            rates.append(rate)
            losses.append(loss)
            if not math.isfinite(loss) or loss > 4 * best:
                break
            best = min(best, loss)
            deadline.check(f"the learning-rate sweep (reached {rate:.1e})")
        return {"rates": rates, "losses": losses, **lr_range_summary(rates, losses)}

    # -- X110: checkpoint round trip ------------------------------------------------------------

    def checkpoint(self, deadline: Deadline) -> dict[str, Any]:
        checkpoint = next(
            (
                c
                for c in self.arguments.get("callbacks") or []
                if isinstance(c, keras.callbacks.ModelCheckpoint)
            ),
            None,
        )
        weights_only = bool(getattr(checkpoint, "save_weights_only", False))
        suffix = Path(str(getattr(checkpoint, "filepath", "model.keras"))).suffix or ".keras"
        if weights_only:
            suffix = ".weights.h5"
        x, _ = self._first_batch(8)
        # The user's model itself is saved (its weights are only read) so that a model
        # whose layers cannot even be rebuilt from their config is caught too.
        before = np.asarray(self.model.predict_on_batch(x))
        how = "save_weights / load_weights" if weights_only else f"save / load_model ({suffix})"
        with tempfile.TemporaryDirectory(prefix="nncheck-ckpt-") as tmp:
            path = Path(tmp) / f"checkpoint{suffix}"
            try:
                if weights_only:
                    self.model.save_weights(path)
                    restored = keras.models.clone_model(self.model)
                    restored.load_weights(path)
                else:
                    self.model.save(path)
                    restored = _load_like_a_fresh_process(path)
                after = np.asarray(restored.predict_on_batch(x))
            except Exception as error:
                message = " ".join(str(error).split())[:300]
                return {"ok": False, "how": how, "error": f"{type(error).__name__}: {message}"}
        same = before.shape == after.shape and bool(np.allclose(before, after, atol=1e-5))
        return {"ok": same, "how": how, "error": None if same else "predictions differ"}

    # -- X112: memory of one training step ------------------------------------------------------

    def memory(self, deadline: Deadline) -> dict[str, Any]:
        activations = 0
        for layer in _flat_layers(self.model):
            if not _has_output(layer):
                continue
            for tensor in keras.tree.flatten(layer.output):
                shape = [d for d in tensor.shape[1:]]
                if any(d is None for d in shape):
                    continue
                itemsize = np.dtype(_dtype_name(tensor.dtype)).itemsize
                activations += int(np.prod(shape)) * itemsize
        params = sum(int(np.prod(v.shape)) * 4 for v in self.model.weights)
        optimizer_slots = 2 if "adam" in type(self.model.optimizer).__name__.lower() else 1
        return {
            "activation_bytes_per_sample": activations,
            "batch_size": self.batch_size,
            "parameter_bytes": params,
            # weights + gradients + optimizer slots; activations kept for the backward pass
            "step_bytes": params * (2 + optimizer_slots) + activations * self.batch_size * 2,
        }

    # -- X111: mixed precision and aligned widths on a GPU --------------------------------------

    def mixed_precision(self, deadline: Deadline) -> dict[str, Any]:
        if self.out.device == "CPU":
            raise Skip("needs a GPU with Tensor Cores; the probes ran on the CPU")
        return measure_tensor_core_changes(self.model, self.batch(self.batch_size), deadline)

    # -- X108: throughput of the step vs the input pipeline -------------------------------------

    def throughput(self, deadline: Deadline) -> dict[str, Any]:
        if self.y is None:
            raise Skip("no labels reach the training step")
        x, y = self.batch(self.batch_size)
        copy = self.clone()
        step = _time_steps(lambda: copy.train_on_batch(x, y), THROUGHPUT_STEPS, deadline)
        source = self.arguments.get("__source__", "arrays")
        result: dict[str, Any] = {"source": source, "step_s": step, "batch_size": self.batch_size}
        batches = _pipeline_batches(self.arguments.get("x"), source)
        if batches is None:
            result["pipeline_s"] = None
            return result
        result["pipeline_s"], size = _time_batches(batches, PIPELINE_BATCHES, deadline)
        result["pipeline_batch_size"] = size
        return result


# -- pure helpers (unit-tested without a model) ----------------------------------------------


def expected_initial_loss(facts: ModelFacts, y: np.ndarray) -> float | None:
    """The loss a model whose outputs equal its output bias would have on labels ``y``.

    With small initial weights the output is close to the bias: for softmax
    cross-entropy that is -sum(prior * log softmax(bias)) (ln C for a zero bias), for
    sigmoid binary cross-entropy the same per unit. None for other losses.
    """
    if len(facts.outputs) != 1 or len(facts.losses) != 1:
        return None
    output, loss = facts.outputs[0], facts.losses[0]
    units = output.units or 1
    bias = np.asarray(output.bias if output.bias is not None else [0.0] * units, dtype=float)
    logits = loss.from_logits and output.activation == "linear"
    if loss.name in {"categorical_crossentropy", "sparse_categorical_crossentropy"}:
        if output.activation != "softmax" and not logits:
            return None
        if loss.name == "sparse_categorical_crossentropy":
            labels = y.reshape(-1).astype(int)
            if labels.min() < 0 or labels.max() >= units:
                return None
            prior = np.bincount(labels, minlength=units) / labels.size
        else:
            prior = y.reshape(len(y), -1).mean(axis=0)
        shifted = bias - bias.max()
        log_q = shifted - np.log(np.exp(shifted).sum())
        return float(-(prior * log_q).sum())
    if loss.name == "binary_crossentropy":
        if output.activation != "sigmoid" and not logits:
            return None
        prior = np.clip(y.reshape(len(y), -1).mean(axis=0), 0, 1)
        q = 1 / (1 + np.exp(-bias))
        q = np.clip(q, 1e-7, 1 - 1e-7)
        return float(np.mean(-(prior * np.log(q) + (1 - prior) * np.log(1 - q))))
    return None


def lr_range_summary(rates: list[float], losses: list[float]) -> dict[str, Any]:
    """The suggested rate (a tenth of the rate at the lowest smoothed loss) and the rate at
    which the loss diverges (4x its minimum, or non-finite); None where not reached."""
    finite = [(r, v) for r, v in zip(rates, losses, strict=True) if math.isfinite(v)]
    if len(finite) < 5:
        return {"suggested": None, "diverged_at": None}
    smoothed, value = [], finite[0][1]
    for _, loss in finite:
        value = 0.7 * value + 0.3 * loss
        smoothed.append(value)
    best = int(np.argmin(smoothed))
    diverged_at = None
    for index in range(best, len(finite)):
        if smoothed[index] > 4 * smoothed[best]:
            diverged_at = finite[index][0]
            break
    if diverged_at is None and len(finite) < len(rates):
        diverged_at = rates[len(finite)]  # the first non-finite loss
    if diverged_at is None and losses and losses[-1] > 4 * min(losses):
        diverged_at = rates[-1]
    return {"suggested": finite[best][0] / 10, "diverged_at": diverged_at}


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


def measure_tensor_core_changes(model: Any, batch: tuple[Any, Any], deadline: Deadline) -> dict:
    """Step time as is, with mixed_float16, and with widths padded to multiples of 8."""
    x, y = batch
    results: dict[str, Any] = {}
    for variant in ("as_is", "mixed_float16", "aligned"):
        policy = keras.mixed_precision.global_policy()
        try:
            if variant == "mixed_float16":
                keras.mixed_precision.set_global_policy("mixed_float16")
                copy = keras.models.clone_model(model, clone_function=_with_policy)
            elif variant == "aligned":
                copy = type(model).from_config(rewrite_for_tensor_cores(model.get_config()))
            else:
                copy = keras.models.clone_model(model)
            copy.compile(optimizer=type(model.optimizer).__name__.lower(), loss=model.loss)
            results[variant] = _time_steps(lambda c=copy: c.train_on_batch(x, y), 10, deadline)
        finally:
            keras.mixed_precision.set_global_policy(policy)
    return results


def _with_policy(layer: Any) -> Any:
    config = layer.get_config()
    config["dtype"] = "mixed_float16"
    return type(layer).from_config(config)


# -- small utilities --------------------------------------------------------------------------


def _load_like_a_fresh_process(path: Path) -> Any:
    """Load ``path`` with the script's own namespace out of reach, as the process that
    resumes or serves the checkpoint would: its classes must be registered (or importable)."""
    import sys
    import types

    script = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        return keras.saving.load_model(path)
    finally:
        if script is not None:
            sys.modules["__main__"] = script


def _time_steps(step: Callable[[], Any], count: int, deadline: Deadline) -> float:
    """Median seconds of one call after two warm-up calls (compilation, caches)."""
    for _ in range(2):
        step()
        deadline.check("the training step's warm-up")
    times = []
    for _ in range(count):
        begin = time.perf_counter()
        step()
        times.append(time.perf_counter() - begin)
        if deadline.expired and len(times) >= 3:
            break
    return float(np.median(times))


def _time_batches(batches: Iterator[Any], count: int, deadline: Deadline) -> tuple[float, int]:
    """Median seconds to draw one batch from the pipeline (after one warm-up batch), and
    the size of the batches it yields."""
    first = next(batches, None)
    size = 0
    if first is not None:
        inputs = first[0] if isinstance(first, tuple | list) else first
        size = _length(inputs) if not isinstance(inputs, dict) or inputs else 0
    times = []
    for _ in range(count):
        begin = time.perf_counter()
        if next(batches, None) is None:
            break
        times.append(time.perf_counter() - begin)
        if deadline.expired and len(times) >= 3:
            break
    if not times:
        raise Skip("the input pipeline ran out of batches")
    return float(np.median(times)), size


def _pipeline_batches(x: Any, source: str) -> Iterator[Any] | None:
    if source == "dataset":
        return iter(x)
    if source == "generator":
        return iter(x)
    if source == "py_dataset":
        count = x.num_batches or PIPELINE_BATCHES + 1
        return (x[i % count] for i in itertools.count())
    return None  # arrays: already in memory


def _device() -> str:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return str(details.get("device_name", "GPU"))
    elif keras.backend.backend() == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    elif keras.backend.backend() == "jax":
        import jax

        devices = [d for d in jax.devices() if d.platform == "gpu"]
        if devices:
            return str(devices[0].device_kind)
    return "CPU"


def _accuracy(facts: ModelFacts, predictions: Any, y: np.ndarray) -> float | None:
    if len(facts.outputs) != 1 or not facts.losses:
        return None
    output, loss = facts.outputs[0], facts.losses[0]
    p = np.asarray(predictions)
    if loss.name == "sparse_categorical_crossentropy":
        return float(np.mean(p.reshape(len(p), -1).argmax(axis=1) == y.reshape(-1)))
    if loss.name == "categorical_crossentropy":
        return float(np.mean(p.argmax(axis=-1) == y.argmax(axis=-1)))
    if loss.name == "binary_crossentropy":
        threshold = 0.0 if loss.from_logits and output.activation == "linear" else 0.5
        return float(np.mean((p.reshape(y.shape) > threshold) == (y > 0.5)))
    return None


def _distinct_rows(y: Any) -> int:
    labels = np.asarray(y)
    return int(np.unique(labels.reshape(len(labels), -1), axis=0).shape[0]) if labels.size else 0


def _activation_of(layer: Any) -> str | None:
    if type(layer).__name__ == "ReLU":
        return "relu"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None)


def _has_output(layer: Any) -> bool:
    try:
        layer.output  # noqa: B018
    except (AttributeError, ValueError):
        return False
    return True


def _dtype_name(dtype: Any) -> str:
    return getattr(dtype, "name", None) or str(dtype)
