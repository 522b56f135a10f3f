"""The Python API: check a live Keras model and its data from a notebook or a script.

    report = nncheck.check(model, x_train, y_train, validation_data=(x_val, y_val), epochs=50)
    report          # a table in Jupyter, text in a terminal
    report.to_json()

The same rules as ``nncheck train.py`` judge the model, data and fit arguments you pass, with
the facts built in your process (Keras is already imported there). Nothing is trained and
your model's weights are not changed.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nncheck.engine import RunResult, check_facts, select_rules
from nncheck.facts import Target
from nncheck.facts.live import CaptureResult, Site
from nncheck.facts.source import SourceFacts
from nncheck.findings import Finding, Severity

API_PATH = "<model>"


@dataclass
class Report:
    """The findings of one check, renderable in every report format."""

    result: RunResult

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    def failed(self, fail_on: str = "error") -> bool:
        """True when a finding is at or above ``fail_on`` (error, warning, info)."""
        threshold = Severity.parse(fail_on)
        return any(f.severity >= threshold for f in self.findings)

    def render(self, output_format: str = "text") -> str:
        from nncheck.reports import ReportContext, render

        return render(output_format, self.result, ReportContext("api"))

    def to_json(self) -> str:
        return self.render("json")

    def __str__(self) -> str:
        return self.render("text")

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (f.code, f.severity.label, f.layer or "", f.message, f.fix or "")
            )
            + "</tr>"
            for f in self.findings
        )
        head = "".join(f"<th>{h}</th>" for h in ("rule", "severity", "layer", "finding", "fix"))
        summary = html.escape(self.render("text").strip().splitlines()[-1])
        return f"<table><tr>{head}</tr>{rows}</table><p>{summary}</p>"


def check(
    model: Any,
    x: Any = None,
    y: Any = None,
    validation_data: Any = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    max_samples: int = 10_000,
    **fit_kwargs: Any,
) -> Report:
    """Check ``model`` with the data and ``fit()`` arguments you would train it with.

    Raises:
        ValueError: when ``model`` is not a compiled Keras model.
    """
    from nncheck.adapters import keras3

    signature = inspect.signature(keras3.ORIGINAL_FIT)
    bound = signature.bind(model, x, y, validation_data=validation_data, **fit_kwargs)
    bound.apply_defaults()
    return check_fit_arguments(model, dict(bound.arguments), select, ignore, max_samples)


def check_fit_arguments(
    model: Any,
    arguments: dict[str, Any],
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    max_samples: int = 10_000,
) -> Report:
    """Check ``model`` with ``fit()``'s bound arguments (x, y, epochs, callbacks, ...)."""
    from nncheck.adapters import keras3

    keras = keras3.keras
    if not isinstance(model, keras.Model):
        raise ValueError(f"Expected a keras.Model. Received: model={type(model).__name__}")
    if not model.compiled:
        raise ValueError("Expected a compiled model: call model.compile(optimizer=..., loss=...)")
    recorder = keras3.Recorder(Path.cwd() / API_PATH, max_samples)
    for layer in getattr(model, "layers", []):  # the model's own layers are the user's
        if not isinstance(layer, keras.Model):
            recorder.sites[id(layer)] = (layer, Site(API_PATH, 0))
    recorder.capture(model, "fit", arguments)
    captured = recorder.result or CaptureResult(status="internal_error")
    if captured.status != "captured":
        raise ValueError(captured.error or "nncheck could not read this model")
    # No script to read: an empty source, so that rules that also consult it (resampling
    # imports, optimizer call sites) judge the live facts alone.
    facts: dict[str, object] = {
        "capture": captured,
        "model": captured.model,
        "source": SourceFacts.from_text("", API_PATH),
    }
    if captured.train is not None:
        facts["train"] = captured.train
    if captured.data is not None and captured.data.inputs:
        facts["data"] = captured.data
    target = Target(Path(API_PATH), API_PATH, static=False)
    return Report(check_facts(target, facts, select_rules(select, ignore)))
