"""Active probes: measure the captured setup on a throw-away clone, inside the child process.

Each probe trains or evaluates a clone of the captured model (same architecture, weights at
capture time, loss and optimizer settings, dtype policy) on batches from the captured data
sample, so the user's model, weights, files and iterators are untouched (the input-pipeline
probe reads the user's own iterator, in this throw-away process only).

The work of every probe is sized by the setup alone (steps, samples and sweep points are
counts derived from the model's size, never from measured time), and each probe draws its
batches from its own generator seeded by ``--seed``: the same script, data and seed give the
same measurements on a quiet machine and on a busy one. The time budget is only a safety
limit: a probe that hits it stops and is reported as such (E007, naming how far it got), and
one that raises is reported as nncheck's own failure (E005), never as a silent skip. Results
are plain :class:`~nncheck.facts.live.ProbeResult` facts; the X rules judge them. Keras 3's
own API throughout (so the JAX and torch backends work too); gradients are the one
backend-specific piece (:mod:`nncheck.adapters.gradients`).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nncheck.adapters.keras3 import _flat_layers, _length, _take
from nncheck.adapters.probe_limits import (
    Budget,
    ProbeOptions,
    Skip,
    available_memory,
    check_room,
    run_plan,
    time_interleaved,
    users_step,
)
from nncheck.adapters.probe_math import SIZES, expected_initial_loss, sweep_learning_rates
from nncheck.adapters.probe_measures import (
    loss_floor,
    measure_tensor_core_changes,
    multiply_adds_per_sample,
    pipeline_batches,
    unsafe_deserialization,
)
from nncheck.facts import probe_results as measured
from nncheck.facts.live import CaptureResult, ModelFacts, ProbeFacts, TrainFacts

OVERFIT_BATCH = 32
OVERFIT_TARGET = 0.01  # stop once the loss is 1% of its start: past any rule's factor
REFERENCE_OPTIMIZER = ("Adam", 1e-3)  # the retry that tells "cannot learn" from "settings"
LR_SWEEP = (1e-7, 10.0)
MATRIX_WEIGHTS = {
    "kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "embeddings",
    "recurrent_kernel",
}


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
        # fit() trains with the compiled loss and optimizer; a custom loop with the
        # keras.losses.Loss and the optimizer its step used
        self.loss = getattr(model, "loss", None) or arguments.get("loss")
        self.optimizer = getattr(model, "optimizer", None) or arguments.get("optimizer")
        self.rng = np.random.default_rng(options.seed)
        self.batch_size = (train.batch_size if train else None) or OVERFIT_BATCH
        self.length = _length(x) if x is not None else 0
        macs = multiply_adds_per_sample(model)
        self.overfit_steps, self.sweep_points, self.timed_steps = next(
            (steps, points, timed) for limit, steps, points, timed in SIZES if macs <= limit
        )
        self.cloning = "copy"  # "copy", or "in place" for a model that cannot be copied
        self.out = ProbeFacts(
            device=_device(),
            backend=keras.backend.backend(),
            budget=options.budget,
            seed=options.seed,
        )

    # -- running -----------------------------------------------------------------------------

    def run(self) -> ProbeFacts:
        # One method per probe, named like its result: measured.Overfit.name is "overfit".
        plan = [(kind.name, self._labelled(kind)) for kind in measured.PROBES]

        def before(index: int, name: str) -> None:
            self._progress(name, index, len(plan))
            # Each probe draws from its own generator: what one probe does (or skips)
            # never changes the batches another sees.
            self.rng = np.random.default_rng([self.options.seed, index])

        self.out.results.extend(run_plan(plan, Budget(self.options.budget), before))
        self.out.cloning = self.cloning
        self._progress("done", len(plan), len(plan))
        return self.out

    def _labelled(
        self, kind: type[measured.ProbeValues]
    ) -> Callable[[Budget], measured.ProbeValues]:
        """The probe of ``kind``, skipped with the reason when it needs labels and none
        reach the step."""
        probe = getattr(self, kind.name)

        def labelled(budget: Budget) -> measured.ProbeValues:
            if self.y is None and kind.needs_labels:
                raise Skip(self._no_labels())
            return probe(budget)

        return labelled

    def _no_labels(self) -> str:
        if self.train is not None and self.train.entry == "custom_loop":
            return (
                "the custom loop's labels are not visible (a step compiled with tf.function "
                "sees only symbolic tensors; a loss that is not a keras.losses.Loss is not seen)"
            )
        return "no labels reach the training step (unlabelled data)"

    def _progress(self, name: str, index: int, total: int) -> None:
        if self.options.progress is not None:
            with self.options.progress.open("a") as handle:
                handle.write(f"{index}\t{total}\t{name}\n")

    # -- copies of the model -------------------------------------------------------------------

    @contextlib.contextmanager
    def trainable_copy(
        self, learning_rate: float | None = None, optimizer: Any = None
    ) -> Iterator[Any]:
        """A model with the capture-time weights, compiled with the script's loss and a fresh
        optimizer like the script's (or ``optimizer``), to train as the probe likes.

        Normally a copy. A model that cannot be copied (a custom layer whose config cannot
        rebuild it) is used itself, its weights and compilation restored afterwards,
        whatever happens: the probes never skip a model for being hard to copy. They skip
        one too large to train beside itself in the free memory (check_room).
        """
        fresh = optimizer if optimizer is not None else self._optimizer(learning_rate)
        if self.out.device == "CPU":  # on a GPU the copy lives in its memory, unread here
            size = sum(int(np.prod(w.shape)) * _itemsize(w.dtype) for w in self.model.weights)
            check_room(size, type(fresh).__name__, _slots(fresh), available_memory(), "CPU")
        copy = self._copy()
        if copy is not None:
            copy.compile(optimizer=fresh, loss=self.loss)
            yield copy
            return
        self.cloning = "in place"
        model = self.model
        weights = [np.array(w) for w in model.get_weights()]
        compiled = getattr(getattr(model, "_compile_config", None), "config", None)
        try:
            model.compile(optimizer=fresh, loss=self.loss)
            yield model
        finally:
            model.set_weights(weights)
            if compiled is not None:
                model.compile(**compiled)

    def _copy(self) -> Any | None:
        """A copy of the model with its capture-time weights, or None when it cannot be made.

        The model is the script's own object, not an untrusted file, so a Lambda's function
        may be copied (Keras' safe mode guards files).
        """
        try:
            with unsafe_deserialization():
                copy = keras.models.clone_model(self.model)
            if not copy.built or len(copy.weights) != len(self.model.weights):
                copy(self._first_batch(2)[0])  # a subclassed model builds on its first call
            copy.set_weights(self.model.get_weights())
        except Exception:
            return None
        for layer in _flat_layers(copy):  # Normalization derives its mean from the weights
            finalize = getattr(layer, "finalize_state", None)
            if callable(finalize) and getattr(layer, "built", False):
                finalize()
        return copy

    def _optimizer(self, learning_rate: float | None) -> Any:
        optimizer = self.optimizer
        if optimizer is None:
            raise Skip("the model has no optimizer (a custom loop): nothing to train it with")
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
        if not isinstance(self.y, np.ndarray):
            return self._first_batch(size)
        labels = self.y
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

    def loss_at_init(self, budget: Budget) -> measured.LossAtInit:
        x, y = self._first_batch(512)
        with self.trainable_copy() as copy, users_step():
            loss = float(copy.test_on_batch(x, y, return_dict=True)["loss"])
        expected = expected_initial_loss(self.facts, y) if isinstance(y, np.ndarray) else None
        return measured.LossAtInit(loss=loss, expected=expected, samples=_length(x))

    # -- X103 / X104 / X105: gradients ------------------------------------------------------

    def gradients(self, budget: Budget) -> measured.Gradients:
        from nncheck.adapters.gradients import loss_gradients

        x, y = self._first_batch(self.batch_size)
        with self.trainable_copy() as copy, users_step():
            grads = loss_gradients(copy, x, y)
            variables = [(v.path, np.asarray(v)) for v in copy.trainable_variables]
        layers: dict[str, list[float]] = {}
        disconnected: list[str] = []
        zero: list[str] = []
        non_finite = 0
        for (path, value), grad in zip(variables, grads, strict=True):
            owner = path.split("/")[-2] if "/" in path else path
            if grad is None:
                disconnected.append(path)
                continue
            if not np.any(grad):
                zero.append(path)
                continue
            if not np.all(np.isfinite(grad)):
                non_finite += 1
                continue
            if path.rsplit("/", 1)[-1] not in MATRIX_WEIGHTS:
                continue  # biases and normalisation scales: no depth signal, much noise
            weight = float(np.linalg.norm(value))
            norms = layers.setdefault(owner, [0.0, 0.0])
            norms[0] = math.hypot(norms[0], float(np.linalg.norm(grad)))
            norms[1] = math.hypot(norms[1], weight)
        return measured.Gradients(
            layers=[measured.LayerGradient(name, g, w) for name, (g, w) in layers.items()],
            disconnected=disconnected,
            zero=zero,  # no dependence on JAX / torch, or dead units on any backend
            non_finite=non_finite,
            variables=len(grads),
        )

    # -- X106: dead ReLU units --------------------------------------------------------------

    def dead_units(self, budget: Budget) -> measured.DeadUnits:
        relu = [
            layer
            for layer in _flat_layers(self.model)
            if _activation_of(layer) == "relu" and _has_output(layer)
        ]
        if not relu:
            raise Skip("the model has no ReLU layers whose outputs are visible")
        try:
            probe = keras.Model(self.model.inputs, [layer.output for layer in relu])
        except Exception:
            raise Skip("the ReLU layers' outputs are not reachable (a subclassed model)") from None
        x, _ = self._first_batch(256)
        with users_step():
            outputs = probe.predict_on_batch(x)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        shares = []
        for layer, out in zip(relu, outputs, strict=True):
            values = np.asarray(out).reshape(-1, np.asarray(out).shape[-1])
            dead = np.all(values <= 0, axis=0)
            shares.append(measured.LayerDeadShare(layer.name, float(dead.mean()), int(dead.size)))
        return measured.DeadUnits(layers=shares, samples=_length(x))

    # -- X101 / X103 / X107: single-batch overfit -----------------------------------------------

    def overfit(self, budget: Budget) -> measured.Overfit:
        x, y = self._mixed_batch(OVERFIT_BATCH)
        classes = _distinct_rows(y)
        with self.trainable_copy() as copy:
            floor = loss_floor(copy, x, y)
            losses, accuracy = self._fit_batch(
                copy, x, y, classes, floor, budget, "the single-batch overfit"
            )
        found = measured.Overfit(
            losses=losses,
            steps=len(losses),
            max_steps=self.overfit_steps,
            accuracy=accuracy,
            classes=classes,
            batch=_length(x),
            floor=floor,
        )
        if not found.learned:
            # The same batch with a reference optimizer: if it learns, the model can learn
            # and the configured optimizer settings are what failed (X107's business).
            name, rate = REFERENCE_OPTIMIZER
            reference = getattr(keras.optimizers, name)(learning_rate=rate)
            with self.trainable_copy(optimizer=reference) as copy:
                what = f"the single-batch overfit with {name} at {rate:g}"
                ref_losses, ref_accuracy = self._fit_batch(copy, x, y, classes, floor, budget, what)
            found.reference = measured.ReferenceRun(
                optimizer=f"{name}(learning_rate={rate:g})",
                losses=ref_losses,
                accuracy=ref_accuracy,
                learned=measured.batch_learned(ref_losses, ref_accuracy, classes, floor=floor),
            )
        return found

    def _fit_batch(
        self,
        model: Any,
        x: Any,
        y: Any,
        classes: int,
        floor: float,
        budget: Budget,
        what: str,
    ) -> tuple[list[float], float | None]:
        """Train ``model`` on one batch (of ``classes`` distinct labels) for at most
        ``overfit_steps`` steps, stopping early only on the values themselves (the loss at
        1% of its start, every sample of a several-class batch right)."""
        losses: list[float] = []
        for step in range(self.overfit_steps):
            with users_step():
                loss = float(model.train_on_batch(x, y, return_dict=True)["loss"])
            losses.append(loss)
            if not math.isfinite(loss) or loss - floor <= (losses[0] - floor) * OVERFIT_TARGET:
                break
            checking = step % measured.ACCURACY_CHECK_EVERY == measured.ACCURACY_CHECK_EVERY - 1
            if checking and classes > 1 and self._batch_accuracy(model, x, y) == 1.0:
                break
            budget.check(
                f"{what} reached step {step + 1} of {self.overfit_steps}",
                (step + 1) / self.overfit_steps,
            )
        return losses, self._batch_accuracy(model, x, y)

    def _batch_accuracy(self, model: Any, x: Any, y: Any) -> float | None:
        """Accuracy on the batch it trains on, in inference mode; with BatchNormalization
        also with the batch's own statistics (training mode), and the better of the two:
        the moving statistics lag behind fast single-batch training, and either mode
        getting every sample right shows the batch was learned."""
        inference = _accuracy(self.facts, model.predict_on_batch(x), y)
        if inference == 1.0 or not any(_is_batch_norm(layer) for layer in _flat_layers(model)):
            return inference
        with users_step():
            training = _accuracy(self.facts, model(x, training=True), y)
        if inference is None or training is None:
            return inference if training is None else training
        return max(inference, training)

    # -- X107: learning-rate range test ---------------------------------------------------------

    def lr_range(self, budget: Budget) -> measured.LrRange:
        low, high = LR_SWEEP
        # Each step trains on the next batch; the loss is read on one fixed batch drawn at
        # random: the losses of successive batches differ by their samples (a batch with
        # no rare-class sample has almost no loss), which is not the rate's doing.
        x_eval, y_eval = self._first_batch(self.batch_size)
        with self.trainable_copy(learning_rate=low) as copy:

            def loss_after_step(step: int, rate: float) -> float:
                copy.optimizer.learning_rate.assign(rate)
                x, y = self.batch(self.batch_size, step * self.batch_size)
                with users_step():
                    copy.train_on_batch(x, y)
                    return float(copy.test_on_batch(x_eval, y_eval, return_dict=True)["loss"])

            return sweep_learning_rates(low, high, self.sweep_points, loss_after_step, budget)

    # -- X110: checkpoint round trip ------------------------------------------------------------

    def checkpoint(self, budget: Budget) -> measured.Checkpoint:
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
        with users_step():
            before = _predictions(self.model.predict_on_batch(x))
        how = "save_weights / load_weights" if weights_only else f"save / load_model ({suffix})"
        with tempfile.TemporaryDirectory(prefix="nncheck-ckpt-") as tmp:
            path = Path(tmp) / f"checkpoint{suffix}"
            try:
                if weights_only:
                    # Resuming rebuilds the model with the script's code, then loads the
                    # file: a copy stands in for that (the model itself when it cannot be
                    # copied; the weights it loads are its own).
                    self.model.save_weights(path)
                    restored = self._copy() or self.model
                    restored.load_weights(path)
                else:
                    self.model.save(path)
                    restored = _load_like_a_fresh_process(path)
                after = _predictions(restored.predict_on_batch(x))
            except Exception as error:
                message = " ".join(str(error).split())[:300]
                return measured.Checkpoint(
                    ok=False,
                    how=how,
                    error=f"{type(error).__name__}: {message}",
                    uses_lambda="lambda" in message.lower(),
                    without_config=_classes_without_config(self.model),
                )
        same = len(before) == len(after) and all(
            b.shape == a.shape and bool(np.allclose(b, a, atol=1e-5, equal_nan=True))
            for b, a in zip(before, after, strict=False)
        )
        return measured.Checkpoint(ok=same, how=how, error=None if same else "predictions differ")

    # -- X112: memory of one training step ------------------------------------------------------

    def memory(self, budget: Budget) -> measured.StepMemory:
        activations, visible = 0, 0
        for layer in _flat_layers(self.model):
            if not _has_output(layer):
                continue
            visible += 1
            for tensor in keras.tree.flatten(layer.output):
                shape = [d for d in tensor.shape[1:]]
                if any(d is None for d in shape):
                    continue
                itemsize = np.dtype(_dtype_name(tensor.dtype)).itemsize
                activations += int(np.prod(shape)) * itemsize
        if not visible:
            raise Skip(
                "the layers' outputs are not visible (a subclassed model's call()), so "
                "the activations a step keeps cannot be counted"
            )
        params = sum(int(np.prod(v.shape)) * 4 for v in self.model.weights)
        optimizer = self.optimizer
        optimizer_slots = _slots(optimizer)
        return measured.StepMemory(
            activation_bytes_per_sample=activations,
            batch_size=self.batch_size,
            parameter_bytes=params,
            # weights + gradients + optimizer slots; activations kept for the backward pass
            step_bytes=params * (2 + optimizer_slots) + activations * self.batch_size * 2,
        )

    # -- X111: mixed precision and aligned widths on a GPU --------------------------------------

    def mixed_precision(self, budget: Budget) -> measured.MixedPrecision:
        if self.out.device == "CPU":
            raise Skip("needs a GPU with Tensor Cores; the probes ran on the CPU")
        return measure_tensor_core_changes(
            self.model,
            self.batch(self.batch_size),
            budget,
            self.timed_steps,
            self.loss,
            self.optimizer,
        )

    # -- X108: throughput of the step vs the input pipeline -------------------------------------

    def throughput(self, budget: Budget) -> measured.Throughput:
        if self.y is None:
            raise Skip(self._no_labels())
        if self.arguments.get("__source__") == "custom_loop":
            raise Skip("a custom loop's input pipeline is not visible to nncheck")
        x, y = self.batch(self.batch_size)
        source = self.arguments.get("__source__", "arrays")
        batches = pipeline_batches(self.arguments.get("x"), source)
        with self.trainable_copy() as copy, users_step():
            timed = time_interleaved(
                lambda: copy.train_on_batch(x, y), batches, self.timed_steps, budget, _length
            )
        return measured.Throughput(source=source, batch_size=self.batch_size, **timed)


# -- pure helpers (unit-tested without a model) ----------------------------------------------


# -- small utilities --------------------------------------------------------------------------


def _predictions(output: Any) -> list[np.ndarray]:
    """A model's predictions as a list of arrays: one per output (dict and list outputs of
    multi-output models, in Keras' flattening order)."""
    return [np.asarray(part) for part in keras.tree.flatten(output)]


def _classes_without_config(model: Any) -> list[str]:
    """The model's own layer and model classes (not Keras') whose constructor takes
    arguments but that define no get_config: Keras cannot rebuild them from a file."""
    found: list[str] = []
    for obj in [model, *_flat_layers(model)]:
        cls = type(obj)
        if cls.__module__.startswith("keras") or cls.__name__ in found:
            continue
        own = [c for c in cls.__mro__ if not c.__module__.startswith("keras")]
        if any("get_config" in c.__dict__ for c in own):
            continue
        init = next((c.__dict__["__init__"] for c in own if "__init__" in c.__dict__), None)
        if init is None:
            continue
        parameters = list(inspect.signature(init).parameters.values())[1:]
        if any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            for p in parameters
        ):
            found.append(cls.__name__)
    return found


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


def _itemsize(dtype: Any) -> int:
    """Bytes per value of a Keras variable's dtype ("bfloat16" is not a NumPy dtype)."""
    try:
        return int(np.dtype(str(dtype)).itemsize)
    except TypeError:
        return 2 if "16" in str(dtype) else 4


def _slots(optimizer: Any) -> int:
    """Optimizer state tensors per weight: Adam's two moments, one for the others' momentum
    or accumulator."""
    return 2 if "adam" in type(optimizer).__name__.lower() else 1


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


def _accuracy(facts: ModelFacts, predictions: Any, y: Any) -> float | None:
    if len(facts.outputs) != 1 or not facts.losses or not isinstance(y, np.ndarray):
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


def _is_batch_norm(layer: Any) -> bool:
    return "BatchNormalization" in type(layer).__name__


def _distinct_rows(y: Any) -> int:
    """Distinct label rows (of the first output's labels for a multi-output model)."""
    while isinstance(y, dict | list | tuple) and y:
        y = next(iter(y.values())) if isinstance(y, dict) else y[0]
    labels = np.asarray(y)
    if labels.ndim == 0:
        return 0
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
