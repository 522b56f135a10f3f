"""
## What it does
Checks the `monitor` of the `EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau`
callbacks passed to `fit()` against the names that training logs: `loss`, the compiled
metrics under the names Keras gives them (`"acc"` logs `acc`, `"accuracy"` logs
`accuracy`, `keras.metrics.AUC()` logs `auc`), and `val_` versions of each when `fit()`
gets validation data. Their default monitor is `val_loss`.

## Why is this bad?
When the monitored name is never logged, the callback never acts: early stopping never
stops, the "best" checkpoint is never written, the learning rate never drops. With the
default `mode="auto"`, Keras 3 raises `ValueError` at the end of the first epoch when the
name (without `val_`) is neither `loss` nor a compiled metric, since it cannot tell whether
to maximise or minimise it (with or without validation data); with `mode="min"` or
`"max"`, or for a `val_` name of a known metric without validation data, it only warns
and training runs on with the callback doing nothing. The
classic cases are `val_acc` with `metrics=["accuracy"]` and any `val_*` metric without
`validation_data` or `validation_split`.

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

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, CallSite, Symbol
from nncheck.facts.source import FitSite, SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import EARLY_STOPPING, argument_edit, at, at_site, has_validation

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

MONITORING_CALLBACKS = {
    EARLY_STOPPING: "EarlyStopping",
    "keras.callbacks.ModelCheckpoint": "ModelCheckpoint",
    "keras.callbacks.ReduceLROnPlateau": "ReduceLROnPlateau",
}


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
    qualname = metric.qualname or "" if isinstance(metric, CallSite) else ""
    if isinstance(metric, CallSite) and qualname.startswith("keras.metrics."):
        given = metric.arg("name")
        if isinstance(given, str):
            return given
        if given is MISSING:
            return api.METRIC_CLASS_NAMES.get(qualname.rpartition(".")[2])
    return None


def unknown_monitored_metric(source: SourceFacts) -> Iterator[Violation]:
    for fit in source.fits:
        callbacks = source.callbacks_of(fit) or []
        validation = has_validation(fit)
        names = _metric_names(source, fit)
        for callback in callbacks:
            if not isinstance(callback, CallSite) or callback.qualname not in MONITORING_CALLBACKS:
                continue
            monitor = source.call_arg(callback, "monitor")
            mode = source.call_arg(callback, "mode")
            problem = _monitor_problem(
                MONITORING_CALLBACKS[callback.qualname],
                "val_loss" if monitor is MISSING else monitor,
                "auto" if mode is MISSING else mode,
                names,
                validation,
                fit.call.line,
            )
            if problem:
                message, fix, data = problem
                violation = at(callback, message, fix, **data)
                if "replacement" in data:
                    edit = argument_edit(
                        callback,
                        MONITORING_CALLBACKS[callback.qualname],
                        "monitor",
                        repr(data["replacement"]),
                        old=monitor,
                    )
                    violation = dataclasses.replace(violation, edit=edit)
                yield violation


def unknown_monitored_metric_live(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    if train.entry != "fit":
        return
    validation = train.validation is not None
    fit_line = train.site.line if train.site else 0
    for callback in train.callbacks:
        kind = next((k for k in MONITORING_CALLBACKS.values() if k in callback.kind), None)
        if kind is None:
            continue
        problem = _monitor_problem(
            kind, callback.monitor, callback.mode, model.metric_names, validation, fit_line
        )
        if problem:
            message, fix, data = problem
            violation = at_site(callback.site or train.site, message, fix, **data)
            if "replacement" in data and callback.site is not None:
                edit = argument_edit(
                    None,
                    kind,
                    "monitor",
                    repr(data["replacement"]),
                    line=callback.site.line,
                    old=callback.monitor,
                )
                violation = dataclasses.replace(violation, edit=edit)
            yield violation


def _monitor_problem(
    kind: str,
    monitor: Any,
    mode: Any,
    names: Iterable[str] | None,
    validation: bool | None,
    fit_line: int,
) -> tuple[str, str, dict[str, Any]] | None:
    """(message, fix, data) when ``monitor`` is never logged; None when fine or unknown."""
    if not isinstance(monitor, str):
        return None
    if monitor.startswith("val_") and validation is False:
        consequence = "the callback never acts"
        if names is not None and mode == "auto" and monitor[4:] not in set(names):
            consequence = _consequence(monitor, mode, set(names))
        return (
            f"{kind} monitors '{monitor}' but fit() at line {fit_line} gets no validation "
            f"data, so the metric is never logged and {consequence}",
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
        + _consequence(monitor, mode, set(names)),
        f"monitor='{close[0]}'" if close else f"monitor one of: {shown}",
        {"monitor": monitor, "logged": sorted(logged)}
        | ({"replacement": close[0]} if close else {}),
    )


def _consequence(monitor: str, mode: Any, names: set[str]) -> str:
    """What Keras 3 does about it at the end of the first epoch."""
    if mode == "auto" and monitor.removeprefix("val_") not in names:
        return (
            "with mode='auto' Keras raises ValueError at the end of the first epoch (it "
            "cannot tell whether to maximise or minimise it)"
        )
    if mode in {"min", "max"}:
        return "Keras only warns, and the callback never acts"
    return "the callback never acts"


RULE = rule(
    code="T104",
    name="unknown-monitored-metric",
    severity=Severity.ERROR,
    summary="A callback monitors a metric that training never logs",
    tip=16,
    fix="safe",
    doc=__doc__,
    implementations=(
        unknown_monitored_metric_live,
        unknown_monitored_metric,
    ),
)
