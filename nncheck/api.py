"""The Python API: check a live Keras or PyTorch model and its data from a notebook or a script.

    report = nncheck.check(model, x_train, y_train, validation_data=(x_val, y_val), epochs=50)
    report = nncheck.check(torch_model, train_loader, loss_fn=loss_fn, optimizer=optimizer)
    report          # a table in Jupyter, text in a terminal
    report.to_json()

The same rules as ``nncheck train.py`` judge the model, data and training arguments you
pass, with the facts built in your process (the framework is already imported there).
Nothing is trained and your model's weights are not changed.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from nncheck.engine import check_facts, select_rules
from nncheck.facts import Target
from nncheck.facts.live import CaptureResult, Site
from nncheck.facts.source import SourceFacts
from nncheck.findings import Finding, Severity
from nncheck.options import DEFAULTS
from nncheck.results import RunResult

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
        """Jupyter shows the findings table and, for a check with probes, their pictures."""
        from nncheck.reports import html as html_report

        return html_report.fragment(self.result)


class ChecksFailed(RuntimeError):
    """Raised from a training callback when nncheck's findings reach its ``fail_on``."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


def stop_on_findings(report: Report, threshold: Severity | None) -> None:
    """Raise :class:`ChecksFailed` when a finding reaches ``threshold`` (None: never)."""
    if threshold is None:
        return
    serious = [f for f in report.findings if f.severity >= threshold]
    if serious:
        codes = ", ".join(sorted({f.code for f in serious}))
        raise ChecksFailed(
            f"nncheck: {len(serious)} finding{'s' if len(serious) != 1 else ''} at or above "
            f"{threshold.label} ({codes}); training stopped before the first step",
            report,
        )


class TrainingCallbackOptions:
    """What nncheck's training callbacks (Keras, Lightning) are configured with, and how
    they report: the text report printed, ChecksFailed raised when findings reach fail_on.
    A mixin: the framework's own Callback class comes after it."""

    def __init__(
        self,
        fail_on: str = "error",
        select: Iterable[str] | None = None,
        ignore: Iterable[str] = (),
        max_samples: int = DEFAULTS.max_samples,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__()
        self.threshold = None if fail_on == "never" else Severity.parse(fail_on)
        self.select, self.ignore = select, tuple(ignore)
        self.max_samples = max_samples
        self.stream = stream
        self.report: Report | None = None

    def publish(self, report: Report) -> None:
        """Print the report and stop the training when it holds serious findings."""
        self.report = report
        print(report.render("text"), file=self.stream or sys.stdout, end="")
        stop_on_findings(report, self.threshold)


def check(
    model: Any,
    x: Any = None,
    y: Any = None,
    validation_data: Any = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    max_samples: int = DEFAULTS.max_samples,
    probes: bool = True,
    probe_budget: float = DEFAULTS.probe_budget,
    seed: int = DEFAULTS.seed,
    loss_fn: Callable[..., Any] | None = None,
    optimizer: Any = None,
    **fit_kwargs: Any,
) -> Report:
    """Check ``model`` with the data and ``fit()`` arguments you would train it with.

    A PyTorch ``nn.Module`` is checked with its training data as ``x`` (a DataLoader, or any
    iterable of (inputs, targets) batches), ``loss_fn=`` (a loss module or function such as
    ``F.cross_entropy``) and ``optimizer=``: one forward pass and the loss run on the first
    batch, nothing calls backward() or steps.

    The probes (``probes=True``) train throw-away clones in your process; your model's
    weights (and buffers) and the random generators' states (Python, NumPy, Keras, torch)
    are restored as they were. The two-run reproducibility probe (X109) needs a script and
    does not run here.

    Raises:
        ValueError: when ``model`` is neither a compiled Keras model nor a PyTorch module
            with its loss and optimizer, or the data gives no (inputs, targets) batch.
    """
    budget = probe_budget if probes else None
    if _is_torch_module(model):
        if y is not None or validation_data is not None or set(fit_kwargs) - {"epochs"}:
            unknown = sorted(set(fit_kwargs) - {"epochs"}) or ["y", "validation_data"]
            raise ValueError(
                "A PyTorch model is checked with (model, loader, loss_fn=..., optimizer=...); "
                f"unexpected: {', '.join(unknown)}"
            )
        return _check_torch(
            model,
            x,
            loss_fn,
            optimizer,
            fit_kwargs.get("epochs"),
            select,
            ignore,
            max_samples,
            budget,
            seed,
        )
    if loss_fn is not None or optimizer is not None:
        raise ValueError("loss_fn= and optimizer= are for PyTorch models; Keras compiles them")
    from nncheck.adapters import keras3

    signature = inspect.signature(keras3.ORIGINAL_FIT)
    bound = signature.bind(model, x, y, validation_data=validation_data, **fit_kwargs)
    bound.apply_defaults()
    return check_fit_arguments(
        model, dict(bound.arguments), select, ignore, max_samples, budget, seed
    )


def check_fit_arguments(
    model: Any,
    arguments: dict[str, Any],
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    max_samples: int = DEFAULTS.max_samples,
    probe_budget: float | None = None,
    seed: int = DEFAULTS.seed,
) -> Report:
    """Check ``model`` with ``fit()``'s bound arguments (x, y, epochs, callbacks, ...);
    with a ``probe_budget`` (seconds) the probes run too."""
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
    probed = None if probe_budget is None else _run_probes(recorder, captured, probe_budget, seed)
    return report_on(captured, probed, select, ignore)


def report_on(
    captured: CaptureResult,
    probed: Any,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
) -> Report:
    """The rules' report on facts captured in this process (and the probes' results)."""
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
    if probed is not None:
        facts["probes"] = probed
    target = Target(path=Path(API_PATH), display_path=API_PATH, static=False)
    result = check_facts(target, facts, select_rules(select, ignore))
    if "probes" in facts:
        result.probes[API_PATH] = facts["probes"]  # type: ignore[assignment]
    return Report(result)


def _is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")  # a PyTorch model means torch is imported already
    return torch is not None and isinstance(model, torch.nn.Module)


def _check_torch(
    model: Any,
    data: Any,
    loss_fn: Callable[..., Any] | None,
    optimizer: Any,
    epochs: Any,
    select: Iterable[str] | None,
    ignore: Iterable[str],
    max_samples: int,
    probe_budget: float | None,
    seed: int,
) -> Report:
    from nncheck.adapters import pytorch_live

    if data is None:
        raise ValueError(
            "Expected the training data: nncheck.check(model, loader, loss_fn=..., optimizer=...)"
        )
    where = Path.cwd() / API_PATH
    recorder = pytorch_live.capture_objects(model, data, loss_fn, optimizer, max_samples, where)
    captured = pytorch_live.captured(recorder)
    if captured.train is not None and isinstance(epochs, int):
        captured.train.epochs = epochs
    probed = None
    if probe_budget is not None:
        from nncheck.adapters import pytorch_probes
        from nncheck.adapters.probe_limits import ProbeOptions
        from nncheck.interrupts import redeliver_termination

        torch_probes = pytorch_probes.TorchProbes(
            recorder, captured, ProbeOptions(budget=probe_budget, seed=seed)
        )
        with pytorch_live.untouched(model), redeliver_termination():
            probed = torch_probes.run()
    return report_on(captured, probed, select, ignore)


def _run_probes(recorder: Any, captured: CaptureResult, budget: float, seed: int) -> Any:
    """The probes on clones in this process, leaving the random generators as they were.

    They are the part of a check that makes temporary directories in the caller's process:
    a SIGTERM meanwhile removes them before the process's own handler gets the signal."""
    import random

    import numpy as np

    from nncheck.adapters import probes

    try:  # Keras' own global generator (dropout, initialisers); internal, so guarded
        from keras.src.random.seed_generator import global_seed_generator
    except ImportError:  # pragma: no cover - a Keras that moved it: Python and NumPy only
        global_seed_generator = None

    state = (random.getstate(), np.random.get_state())
    keras_state = (
        probes.keras.ops.convert_to_numpy(global_seed_generator().state.value)
        if global_seed_generator
        else None
    )
    from nncheck.interrupts import redeliver_termination

    try:
        options = probes.ProbeOptions(budget=budget, seed=seed)
        with redeliver_termination():
            return probes.for_capture(recorder, captured, options, reread_one_shot=False).run()
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        if global_seed_generator is not None:
            global_seed_generator().state.assign(keras_state)
