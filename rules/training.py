"""T1xx: the training configuration: seeds, callbacks, learning rate, batch size."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite, Symbol
from nncheck.facts.live import ModelFacts, TrainFacts
from nncheck.facts.source import FitSite, SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import live, rule
from nncheck.rules._common import aligned_choices, at, at_site, fmt_number, is_number

EARLY_STOPPING = "keras.callbacks.EarlyStopping"
CHECKPOINTS = {
    "keras.callbacks.ModelCheckpoint",
    "keras.callbacks.BackupAndRestore",
    "tensorflow.train.CheckpointManager",
    "tensorflow.train.Checkpoint",
}
MONITORING_CALLBACKS = {
    EARLY_STOPPING: "EarlyStopping",
    "keras.callbacks.ModelCheckpoint": "ModelCheckpoint",
    "keras.callbacks.ReduceLROnPlateau": "ReduceLROnPlateau",
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
ALIGNMENT = 8


def _callbacks_known(source: SourceFacts, fit: FitSite) -> list[CallSite] | None:
    """The fit's callbacks when every one is a known construction; None when any is unseen."""
    callbacks = source.callbacks_of(fit)
    if callbacks is None or any(not isinstance(c, CallSite) for c in callbacks):
        return None
    return callbacks


def _has_validation(fit: FitSite) -> bool | None:
    data, split = fit.arg("validation_data"), fit.arg("validation_split")
    if data is UNKNOWN or split is UNKNOWN:
        return None
    return data is not None or (is_number(split) and split > 0)


@rule("T109", "missing-random-seed", Severity.WARNING, "Training runs without seeding", tip=3)
def missing_random_seed(source: SourceFacts) -> Iterator[Violation]:
    """
    ## What it does
    Checks that a script which trains seeds every random number generator involved:
    `keras.utils.set_random_seed(seed)` (Python, NumPy and the backend at once), or
    `tf.random.set_seed` together with `np.random.seed` and `random.seed`. A call to the
    project's own helper whose name contains "seed" is trusted.

    ## Why is this bad?
    Weight initialisation, shuffling, dropout and augmentation all draw random numbers.
    Without seeds two runs of the same code differ, so the effect of a change cannot be told
    from run-to-run noise. Keras 3 draws its initializer seeds from Python's `random`
    module: `tf.random.set_seed` alone does not make the initial weights repeatable
    (verified on Keras 3.15).

    ## Example
    ```python
    model = build_model()
    model.fit(x, y, epochs=50)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)
    model = build_model()
    model.fit(x, y, epochs=50)
    ```
    For bit-exact GPU runs also call `tf.config.experimental.enable_op_determinism()`.

    ## References
    - Tip 3 of the training tips (docs/tips.md)
    - https://keras.io/api/utils/python_utils/#setrandomseed-function
    """
    if not source.training_calls:
        return
    seeded = source.seeded
    if seeded & {"all", "unknown"}:
        return
    missing = [
        label
        for key, label in (
            ("tensorflow", "TensorFlow"),
            ("numpy", "NumPy"),
            ("python", "Python's random (Keras 3 draws its initializer seeds from it)"),
        )
        if key not in seeded
    ]
    if not missing:
        return
    first = source.training_calls[0]
    if len(missing) == 3:
        message = (
            f"training at line {first.line} runs with no random seed: initial weights, "
            "shuffling and dropout differ on every run, so a change cannot be told from noise"
        )
    else:
        message = f"training at line {first.line} seeds only part of the RNGs; not seeded: " + (
            ", ".join(missing)
        )
    fix = "keras.utils.set_random_seed(42)  # at the top: seeds Python, NumPy and the backend"
    yield at(first, message, fix, missing=missing)


@rule(
    "T102",
    "missing-early-stopping",
    Severity.WARNING,
    "fit() runs many epochs with no EarlyStopping callback",
    tip=16,
    options={"min-epochs": 10},
)
def missing_early_stopping(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Flags a Keras `fit()` of at least 10 epochs (or an epoch count that is not a literal) whose
    callbacks are all visible in the script and include no `EarlyStopping`. Scripts that stop
    training themselves (`model.stop_training = True` in a callback) are left alone.

    ## Why is this bad?
    Without early stopping a long run keeps going after the validation loss stopped
    improving: it spends GPU time on overfitting and ends with worse weights than the best
    epoch's.

    ## Example
    ```python
    model.fit(x, y, validation_split=0.2, epochs=200)
    ```

    ## Use instead
    ```python
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                         restore_best_weights=True)
    model.fit(x, y, validation_split=0.2, epochs=200, callbacks=[stop])
    ```

    ## Options
    `min-epochs` (10): shorter fits are exempt, early stopping has little to save there.

    ## References
    - Tip 16 of the training tips; https://keras.io/api/callbacks/early_stopping/
    """
    if source.calls_to(EARLY_STOPPING) or "stop_training" in source.text:
        return
    for fit in source.fits:
        epochs = fit.arg("epochs")
        if is_number(epochs) and epochs < options["min-epochs"]:
            continue
        if _callbacks_known(source, fit) is None:
            continue
        known = epochs if is_number(epochs) else None
        message, fix = _early_stopping_text(known, _has_validation(fit) is False)
        yield at(fit.call, message, fix, epochs=known)


@live("T102")
def missing_early_stopping_live(train: TrainFacts, options: dict) -> Iterator[Violation]:
    if train.entry != "fit" or not is_number(train.epochs):
        return
    if train.epochs < options["min-epochs"]:
        return
    kinds = [c.kind for c in train.callbacks]
    if any("EarlyStopping" in k for k in kinds) or any(k not in KNOWN_CALLBACKS for k in kinds):
        return  # a custom callback may stop training itself
    message, fix = _early_stopping_text(train.epochs, train.validation is None)
    yield at_site(train.site, message, fix, epochs=train.epochs)


def _early_stopping_text(epochs: float | None, no_validation: bool) -> tuple[str, str]:
    """T102's message and fix: a patience that fits the epoch count (5-10)."""
    patience = min(10, max(5, int(epochs) // 4)) if epochs is not None else 10
    fix = (
        f"callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', patience={patience}, "
        "restore_best_weights=True)]"
    )
    if no_validation:
        fix += ", validation_split=0.2  # early stopping needs validation data"
    shown = fmt_number(epochs) if epochs is not None else "an unknown number of"
    message = (
        f"fit() trains for {shown} epochs with no EarlyStopping: the run goes on after the "
        "validation loss stops improving"
    )
    return message, fix


@rule(
    "T103",
    "early-stopping-patience-out-of-range",
    Severity.WARNING,
    "EarlyStopping patience outside 5-20 epochs",
    tip=16,
    options={"min-patience": 5, "max-patience": 20},
)
def early_stopping_patience(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Checks the `patience` of every `EarlyStopping` callback against 5-20 epochs. Keras'
    default patience is 0.

    ## Why is this bad?
    With a patience of 0-4, one noisy epoch without improvement ends the run long before the
    model converged. With a patience above 20, training goes on for that many wasted epochs
    after the best one.

    ## Example
    ```python
    keras.callbacks.EarlyStopping(monitor="val_loss")  # patience=0
    ```

    ## Use instead
    ```python
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    ```

    ## Options
    `min-patience` (5) and `max-patience` (20), from the training tips.
    """
    for call in source.calls_to(EARLY_STOPPING):
        patience = source.call_arg(call, "patience")
        problem = _patience_problem(0 if patience is MISSING else patience, options)
        if problem:
            yield at(call, problem, "patience=10", patience=patience)


@live("T103")
def early_stopping_patience_live(train: TrainFacts, options: dict) -> Iterator[Violation]:
    for callback in train.callbacks:
        if "EarlyStopping" in callback.kind:
            problem = _patience_problem(callback.patience, options)
            if problem:
                yield at_site(
                    callback.site or train.site, problem, "patience=10", patience=callback.patience
                )


def _patience_problem(patience: Any, options: dict) -> str | None:
    low, high = options["min-patience"], options["max-patience"]
    if not is_number(patience) or low <= patience <= high:
        return None
    if patience < low:
        why = (
            "stops the run after the first epoch without improvement"
            if patience == 0
            else f"stops after {fmt_number(patience)} epochs without improvement,"
            " before noisy training had a chance to improve"
        )
    else:
        why = f"keeps training {fmt_number(patience)} epochs past the best one"
    return f"EarlyStopping patience={fmt_number(patience)} {why} (sane range: {low}-{high})"


def _metric_names(source: SourceFacts, fit: FitSite) -> set[str] | None:
    """The names fit() logs for training data, or None when they cannot be known for sure."""
    model, compile_call = fit.model, fit.compile
    if model is None or compile_call is None or model.outputs is None or len(model.outputs) != 1:
        return None
    if compile_call.has_star_args or source.call_arg(compile_call, "weighted_metrics") not in (
        MISSING,
        None,
    ):
        return None
    metrics = source.call_arg(compile_call, "metrics")
    if metrics in (MISSING, None):
        metrics = []
    if not isinstance(metrics, list | tuple):
        return None
    names = {"loss"}
    for metric in metrics:
        name = _metric_name(metric)
        if name is None:
            return None
        names.add(name)
    return names


def _metric_name(metric: Any) -> str | None:
    if isinstance(metric, str):
        return metric
    if isinstance(metric, Symbol):
        return metric.short
    if isinstance(metric, CallSite) and (metric.qualname or "").startswith("keras.metrics."):
        given = metric.arg("name")
        if isinstance(given, str):
            return given
        if given is MISSING:
            return api.METRIC_CLASS_NAMES.get(metric.qualname.rpartition(".")[2])
    return None


@rule(
    "T104",
    "unknown-monitored-metric",
    Severity.ERROR,
    "A callback monitors a metric that training never logs",
    tip=16,
)
def unknown_monitored_metric(source: SourceFacts) -> Iterator[Violation]:
    """
    ## What it does
    Checks the `monitor` of the `EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau`
    callbacks passed to `fit()` against the names that training logs: `loss`, the compiled
    metrics under the names Keras gives them (`"acc"` logs `acc`, `"accuracy"` logs
    `accuracy`, `keras.metrics.AUC()` logs `auc`), and `val_` versions of each when `fit()`
    gets validation data. Their default monitor is `val_loss`.

    ## Why is this bad?
    When the monitored name is never logged, Keras prints a warning and carries on: early
    stopping never stops, the "best" checkpoint is never written, the learning rate never
    drops. The classic cases are `val_acc` with `metrics=["accuracy"]` and any `val_*` metric
    without `validation_data` or `validation_split`.

    ## Example
    ```python
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_acc", patience=10)
    model.fit(x, y, epochs=100, validation_split=0.2, callbacks=[stop])
    ```

    ## Use instead
    ```python
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=10)
    ```
    """
    for fit in source.fits:
        callbacks = source.callbacks_of(fit) or []
        validation = _has_validation(fit)
        names = _metric_names(source, fit)
        for callback in callbacks:
            if not isinstance(callback, CallSite) or callback.qualname not in MONITORING_CALLBACKS:
                continue
            monitor = source.call_arg(callback, "monitor")
            problem = _monitor_problem(
                MONITORING_CALLBACKS[callback.qualname],
                "val_loss" if monitor is MISSING else monitor,
                names,
                validation,
                fit.call.line,
            )
            if problem:
                message, fix, data = problem
                yield at(callback, message, fix, **data)


@live("T104")
def unknown_monitored_metric_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    if train.entry != "fit":
        return
    validation = train.validation is not None
    fit_line = train.site.line if train.site else 0
    for callback in train.callbacks:
        kind = next((k for k in MONITORING_CALLBACKS.values() if k in callback.kind), None)
        if kind is None:
            continue
        problem = _monitor_problem(kind, callback.monitor, model.metric_names, validation, fit_line)
        if problem:
            message, fix, data = problem
            yield at_site(callback.site or train.site, message, fix, **data)


def _monitor_problem(
    kind: str, monitor: Any, names: Iterable[str] | None, validation: bool | None, fit_line: int
) -> tuple[str, str, dict[str, Any]] | None:
    """(message, fix, data) when ``monitor`` is never logged; None when fine or unknown."""
    if not isinstance(monitor, str):
        return None
    if monitor.startswith("val_") and validation is False:
        return (
            f"{kind} monitors '{monitor}' but fit() at line {fit_line} gets no validation "
            "data, so the metric is never logged and the callback never acts",
            f"pass validation_data=(x_val, y_val) or validation_split=0.2 to fit(), or "
            f"monitor='{monitor[4:]}'",
            {"monitor": monitor},
        )
    if names is None:
        return None
    logged = set(names)
    if validation:
        logged |= {f"val_{n}" for n in names}
    logged.add("learning_rate")
    if monitor in logged:
        return None
    shown = ", ".join(sorted(logged - {"learning_rate"}))
    close = difflib.get_close_matches(monitor, sorted(logged), n=1, cutoff=0.5)
    return (
        f"{kind} monitors '{monitor}', which training never logs (it logs: {shown}); "
        "Keras only warns, and the callback never acts",
        f"monitor='{close[0]}'" if close else f"monitor one of: {shown}",
        {"monitor": monitor, "logged": sorted(logged)},
    )


@rule(
    "T105",
    "missing-checkpoint",
    Severity.WARNING,
    "A long fit() saves no checkpoints",
    tip=13,
    options={"min-epochs": 20},
)
def missing_checkpoint(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Flags a `fit()` of at least 20 epochs (a literal count) when the script creates no
    `ModelCheckpoint`, `BackupAndRestore`, `tf.train.Checkpoint` or `CheckpointManager` and
    the fit's callbacks are all visible.

    ## Why is this bad?
    A run that dies after hours (a preempted instance, an out-of-memory error, a bug in the
    last epoch) loses everything, and the best epoch's weights are gone even when it ends
    well. `model.save()` after `fit()` protects against neither.

    ## Example
    ```python
    model.fit(x, y, epochs=100, validation_split=0.2)
    ```

    ## Use instead
    ```python
    callbacks = [
        keras.callbacks.ModelCheckpoint("checkpoints/best.keras", save_best_only=True),
        keras.callbacks.BackupAndRestore("checkpoints/backup"),  # resume after a crash
    ]
    model.fit(x, y, epochs=100, validation_split=0.2, callbacks=callbacks)
    ```

    ## Options
    `min-epochs` (20): shorter fits are exempt.
    """
    if source.calls_to(*CHECKPOINTS):
        return
    for fit in source.fits:
        epochs = fit.arg("epochs")
        if not is_number(epochs) or epochs < options["min-epochs"]:
            continue
        if _callbacks_known(source, fit) is None:
            continue
        yield at(fit.call, *_checkpoint_text(epochs), epochs=epochs)


@live("T105")
def missing_checkpoint_live(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    if train.entry != "fit" or not is_number(train.epochs):
        return
    if train.epochs < options["min-epochs"] or source.calls_to(*CHECKPOINTS):
        return
    kinds = [c.kind for c in train.callbacks]
    if any(k in {"ModelCheckpoint", "BackupAndRestore"} for k in kinds):
        return
    if any(k not in KNOWN_CALLBACKS for k in kinds):
        return  # a custom callback may save the model itself
    yield at_site(train.site, *_checkpoint_text(train.epochs), epochs=train.epochs)


def _checkpoint_text(epochs: float) -> tuple[str, str]:
    """T105's message and fix."""
    return (
        f"fit() trains for {fmt_number(epochs)} epochs and saves no checkpoint: a crash loses "
        "the whole run, and the best epoch's weights are never kept",
        "callbacks=[keras.callbacks.ModelCheckpoint('checkpoints/best.keras', "
        "save_best_only=True), keras.callbacks.BackupAndRestore('checkpoints/backup')]",
    )


def _initial_learning_rate(source: SourceFacts, value: Any) -> Any:
    """A literal rate, or the initial rate of a Keras schedule; UNKNOWN otherwise."""
    if is_number(value):
        return value
    if isinstance(value, CallSite) and (value.qualname or "").startswith(
        "keras.optimizers.schedules."
    ):
        if value.qualname.endswith("PiecewiseConstantDecay"):
            values = source.call_arg(value, "values")
            return values[0] if isinstance(values, list | tuple) and values else UNKNOWN
        return source.call_arg(value, "initial_learning_rate")
    return UNKNOWN


@rule(
    "T101",
    "learning-rate-out-of-range",
    Severity.WARNING,
    "Learning rate outside the optimizer family's sane range",
    tip=7,
    options=api.LR_RANGE_OPTIONS,
)
def learning_rate_out_of_range(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Checks a literal learning rate (or a schedule's initial rate) given to a Keras optimizer
    against the range that works for its family:

    | optimizers | range |
    |---|---|
    | Adam, AdamW, Adamax, Nadam, RMSprop | 1e-6 to 1e-2 |
    | Lion | 1e-7 to 1e-3 |
    | SGD | 1e-4 to 1.0 |
    | Adagrad, Ftrl | 1e-4 to 1.0 |
    | Adadelta | 1e-4 to 10 |

    ## Why is this bad?
    Too high a rate makes the loss diverge or oscillate; too low a rate spends the GPU budget
    crawling. Either wastes the run, and neither shows until hours in.

    ## Example
    ```python
    keras.optimizers.Adam(learning_rate=0.1)
    ```

    ## Use instead
    ```python
    keras.optimizers.Adam(learning_rate=1e-3)
    ```
    The learning-rate range probe (X107) measures where the loss diverges for your model.

    ## Options
    Each family's bounds: `adaptive-min` (1e-6) and `adaptive-max` (0.01), `sign-based-min`
    (1e-7) and `sign-based-max` (0.001), `sgd-min` (1e-4) and `sgd-max` (1.0),
    `adagrad-min` / `adagrad-max`, `adadelta-min` / `adadelta-max`, `ftrl-min` / `ftrl-max`
    (the table's values). Raise `sgd-max` for very large batches, lower `adaptive-min` for
    delicate fine-tuning.

    ## References
    The ranges bracket the published defaults (Kingma & Ba 2015, Adam 1e-3; Keras' defaults;
    Zeiler 2012, Adadelta 1.0), fine-tuning practice down to 1e-6, Lion's paper (Chen et al.
    2023: 3-10x below AdamW) and the linear scaling rule for SGD (Goyal et al. 2017: 0.1 per
    256 samples, so very large batches may exceed 1.0).
    """
    for call in source.calls:
        qualname = call.qualname or ""
        if not qualname.startswith("keras.optimizers."):
            continue
        optimizer = qualname.rpartition(".")[2]
        rate = _initial_learning_rate(source, call.arg("learning_rate", 0))
        problem = _learning_rate_problem(optimizer, rate, options)
        if problem:
            yield at(call, problem[0], problem[1], learning_rate=rate)


@live("T101")
def learning_rate_out_of_range_live(
    model: ModelFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    problem = _learning_rate_problem(model.optimizer or "", model.learning_rate, options)
    if not problem:
        return
    built = [c for c in source.calls if (c.qualname or "").endswith(f".{model.optimizer}")]
    message, fix = problem
    if model.schedule:
        message = f"{message} (the initial rate of its {model.schedule})"
    if len(built) == 1:
        yield at(built[0], message, fix, learning_rate=model.learning_rate)
    else:
        yield at_site(train.site, message, fix, learning_rate=model.learning_rate)


def _learning_rate_problem(optimizer: str, rate: Any, options: dict) -> tuple[str, str] | None:
    if optimizer not in api.LR_RANGES or not is_number(rate):
        return None
    family, _, _ = api.LR_RANGES[optimizer]
    key = api.LR_FAMILY_OPTION[family]
    low, high = options[f"{key}-min"], options[f"{key}-max"]
    if low <= rate <= high:
        return None
    if rate > high:
        how = f"{fmt_number(round(rate / high, 1))}x above"
    else:
        how = f"{fmt_number(round(low / rate, 1))}x below" if rate > 0 else "not above zero, below"
    message = (
        f"{optimizer} learning rate {fmt_number(rate)} is {how} the sane range for "
        f"{family} optimizers ({fmt_number(low)} to {fmt_number(high)})"
    )
    default = 1e-2 if optimizer == "SGD" else (1e-4 if optimizer == "Lion" else 1e-3)
    return message, f"learning_rate={fmt_number(default)}"


@rule(
    "T108",
    "batch-size-not-aligned",
    Severity.WARNING,
    "Batch size not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-batch-size": 16},
)
def batch_size_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Checks literal batch sizes (`fit(batch_size=...)`, `Dataset.batch(...)`, the `batch_size`
    of `keras.utils.*_dataset_from_directory`) for a multiple of 8. Sizes below 16 are exempt.

    ## Why is this bad?
    The batch size is one dimension of every matrix multiply in training. NVIDIA Tensor
    Cores run float16/bfloat16 multiplies most efficiently when the dimensions are multiples
    of 8 (TF32: 4); on cuBLAS >= 11 other sizes still use Tensor Cores, less efficiently.

    ## Example
    ```python
    model.fit(x, y, batch_size=100)
    ```

    ## Use instead
    ```python
    model.fit(x, y, batch_size=96)  # or 104
    ```

    ## Options
    `min-batch-size` (16): smaller batch sizes are exempt.

    ## References
    NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1.
    """
    sites: list[tuple[CallSite, Any]] = [(f.call, f.arg("batch_size")) for f in source.fits]
    for call in source.method_calls("batch"):
        if source.dataset_chain(call) is not None:
            sites.append((call, source.call_arg(call, "batch_size")))
    for call in source.calls:
        if (call.qualname or "").endswith("_dataset_from_directory"):
            sites.append((call, call.arg("batch_size")))
    for call, size in sites:
        problem = _batch_size_problem(size, options["min-batch-size"])
        if problem:
            yield at(call, problem[0], problem[1], batch_size=size)


@live("T108")
def batch_size_not_aligned_live(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    problem = _batch_size_problem(train.batch_size, options["min-batch-size"])
    if problem:
        yield at_site(train.site, problem[0], problem[1], batch_size=train.batch_size)
    # Pipelines batch their data themselves: their literal sizes are judged from the source.
    for call in source.method_calls("batch"):
        if source.dataset_chain(call) is not None:
            size = source.call_arg(call, "batch_size")
            problem = _batch_size_problem(size, options["min-batch-size"])
            if problem:
                yield at(call, problem[0], problem[1], batch_size=size)


def _batch_size_problem(size: Any, min_size: int) -> tuple[str, str] | None:
    if not isinstance(size, int) or isinstance(size, bool) or size < min_size:
        return None
    if size % ALIGNMENT == 0:
        return None
    lower, upper = aligned_choices(size, ALIGNMENT)
    return (
        f"batch size {size} is not a multiple of {ALIGNMENT}: Tensor Cores run the training "
        "matrix multiplies less efficiently",
        f"batch_size={upper}  # or {lower}",
    )


STRATEGIES = {
    f"tensorflow.distribute.{name}"
    for name in (
        "MirroredStrategy",
        "MultiWorkerMirroredStrategy",
        "TPUStrategy",
        "CentralStorageStrategy",
        "experimental.CentralStorageStrategy",
        "experimental.MultiWorkerMirroredStrategy",
        "experimental.TPUStrategy",
    )
}


@rule(
    "T111",
    "model-outside-strategy-scope",
    Severity.ERROR,
    "A distribution strategy is created but the model is built outside its scope",
    tip=18,
)
def model_outside_strategy_scope(
    model: ModelFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    """
    ## What it does
    When the script creates a `tf.distribute` strategy (Mirrored, MultiWorkerMirrored,
    TPU, CentralStorage), checks that the trained model's variables belong to it, i.e. that
    the model was built and compiled inside `with strategy.scope():`; and, with several
    replicas, that the batch size given to `fit()` is scaled by the number of replicas
    (the script uses `strategy.num_replicas_in_sync`).

    ## Why is this bad?
    Variables created outside the scope live on one device: the strategy is set up, the
    GPUs are reserved, and training runs on a single one of them (or fails later with a
    cross-device error), so the multi-GPU run costs the price of all GPUs for the speed of
    one.

    ## Example
    ```python
    strategy = tf.distribute.MirroredStrategy()
    model = build_model()
    model.compile(...)
    ```

    ## Use instead
    ```python
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_model()
        model.compile(...)
    model.fit(x, y, batch_size=64 * strategy.num_replicas_in_sync)
    ```
    `fit()`'s batch size is the global batch, split across the replicas: an unscaled 64 on
    4 GPUs gives each GPU 16 samples, which wastes them.

    ## References
    Tip 18 of the training tips; https://www.tensorflow.org/guide/distributed_training
    """
    created = source.calls_to(*STRATEGIES)
    if not created:
        return
    name = created[0].text().rpartition(".")[2]
    if model.distributed is False:
        yield at(
            created[0],
            f"{name} is created here, but the model's variables were created outside "
            "strategy.scope(): training will not be distributed",
            "build and compile the model inside `with strategy.scope():`",
        )
    elif model.replicas > 1 and train.batch_size and "num_replicas_in_sync" not in source.text:
        yield at_site(
            train.site,
            f"fit() gets batch_size={train.batch_size} under a {name} with {model.replicas} "
            f"replicas: that is the global batch, so each replica trains on "
            f"{train.batch_size // model.replicas}",
            f"batch_size={train.batch_size} * strategy.num_replicas_in_sync",
            replicas=model.replicas,
        )


@rule(
    "T106",
    "checkpoint-not-resumable",
    Severity.WARNING,
    "Weights-only checkpoints cannot resume an interrupted run",
    tip=13,
    options={"min-epochs": 20},
)
def checkpoint_not_resumable(train: TrainFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Flags a long `fit()` whose only checkpoints are `ModelCheckpoint(save_weights_only=True)`,
    with no `BackupAndRestore`.

    ## Why is this bad?
    Weights alone do not resume training: the optimizer's state (Adam's moments), the epoch
    counter and the learning-rate schedule are lost, so a run restarted after a crash
    begins with a cold optimizer, a reset schedule and a new epoch count, and is not the run
    it replaces.

    ## Example
    ```python
    keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True)
    ```

    ## Use instead
    ```python
    callbacks = [
        keras.callbacks.ModelCheckpoint("ckpt.weights.h5", save_weights_only=True),
        keras.callbacks.BackupAndRestore("backup"),  # resumes weights, optimizer and epoch
    ]
    ```

    ## Options
    `min-epochs` (20): shorter fits are exempt.

    ## References
    Tip 13 of the training tips; https://keras.io/api/callbacks/backup_and_restore/
    """
    if train.entry != "fit" or not is_number(train.epochs) or train.epochs < options["min-epochs"]:
        return
    checkpoints = [c for c in train.callbacks if "ModelCheckpoint" in c.kind]
    if any("BackupAndRestore" in c.kind for c in train.callbacks) or not checkpoints:
        return
    if all(c.save_weights_only for c in checkpoints):
        yield at_site(
            checkpoints[0].site or train.site,
            f"fit() trains for {train.epochs} epochs and only saves weights: after a crash the "
            "optimizer state, the epoch and the learning-rate schedule are lost",
            "add keras.callbacks.BackupAndRestore('backup') to the callbacks",
            epochs=train.epochs,
        )
