"""Capture: run the user's script in a child process and read back what it trains.

The parent never imports a framework: the child (``nncheck.adapters.child``) runs the script
with Keras' training entry points intercepted and writes plain facts to a temporary file.
This module owns everything around that run: the time limit, killing the child's whole
process tree, removing the temporary directory, and turning a failed run into E002-E005.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from nncheck.facts import CaptureOptions, FactStore, FactUnavailable, RunFailure
from nncheck.facts.live import CaptureResult, DataFacts, ModelFacts, TrainFacts
from nncheck.findings import Violation

ENTRY_POINTS = "Model.fit, Model.train_on_batch or an optimizer step (apply_gradients / apply)"


def provide(store: FactStore) -> CaptureResult:
    """The ``capture`` fact provider: run the script once and keep what it reported."""
    target = store.target
    if target.capture is None:
        raise FactUnavailable(
            "found by searching a directory: nncheck runs only scripts named on the command line"
        )
    source = store.get("source")
    if not source.uses_keras:
        if "pytorch" in source.frameworks:
            message = (
                "the script uses PyTorch, not Keras: the full check captures Keras 3 training "
                "(a PyTorch adapter is planned); `nncheck --static` still checks the source"
            )
        else:
            message = (
                f"the script imports neither Keras nor TensorFlow, so it cannot call {ENTRY_POINTS}"
            )
        raise RunFailure("E004", Violation(message))
    result = run_child(target.path, target.capture)
    return _checked(result, target.path, target.capture)


def _checked(result: CaptureResult, script: Path, options: CaptureOptions) -> CaptureResult:
    if result.status == "captured":
        return result
    if result.status == "no_training":
        raise RunFailure(
            "E004",
            Violation(
                f"the script ended without training: nncheck looks for {ENTRY_POINTS}; "
                "pass the script's own arguments after `--` if it needs them to train"
            ),
        )
    if result.status in {"error", "unusable"}:
        site = result.error_site
        line = site.line if site and Path(site.path).resolve() == script.resolve() else 0
        where = f" at {site.path}:{site.line}" if site and not line else ""
        if result.status == "error":
            message = f"the script raised {result.error}{where} before training"
        else:
            message = f"{result.error}{where}"
        raise RunFailure("E002", Violation(message, line=line))
    raise RunFailure(
        "E005", Violation(f"nncheck's capture failed: {result.error}; please report this")
    )


def _kill_tree(process: subprocess.Popen[bytes]) -> None:
    """Stop the child and everything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_child(script: Path, options: CaptureOptions) -> CaptureResult:
    """Run ``script`` in a child process; E003 when it does not reach training in time."""
    arguments = [str(script.resolve()), str(options.max_samples), *options.script_args]
    timeout_message = (
        f"the script did not reach training within {options.timeout:g} s "
        "(--timeout); nncheck stopped it and every process it started"
    )
    return run_module(
        "nncheck.adapters.child",
        arguments,
        script.resolve().parent,
        options.timeout,
        timeout_message,
        "training",
    )


def run_module(
    module: str,
    arguments: list[str],
    cwd: Path,
    timeout: float,
    timeout_message: str,
    before: str,
) -> CaptureResult:
    """Run ``python -m module ARG0 OUT ARGS...`` and read back the CaptureResult it pickles
    to OUT (inserted as the second argument). Owns the time limit, the process tree and the
    temporary directory."""
    with tempfile.TemporaryDirectory(prefix="nncheck-") as tmp:
        out = Path(tmp) / "capture.pkl"
        log_path = Path(tmp) / "child.log"
        env = dict(os.environ)
        env.update(
            TF_CPP_MIN_LOG_LEVEL="3",  # TensorFlow's start-up noise stays out of the way
            MPLBACKEND="Agg",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ in the user's tree
        )
        command = [sys.executable, "-m", module, arguments[0], str(out), *arguments[1:]]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
                raise RunFailure("E003", Violation(timeout_message)) from None
            except BaseException:
                _kill_tree(process)
                raise
            _kill_tree(process)  # workers the script left behind
        if not out.exists():
            tail = _last_line(log_path)
            raise RunFailure(
                "E002",
                Violation(
                    f"the {'script' if before == 'training' else 'loader'}'s process died "
                    f"(exit status {process.returncode}) before {before}"
                    f"{': ' + tail if tail else ''}"
                ),
            )
        with out.open("rb") as handle:
            return pickle.load(handle)


def _last_line(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else ""


def provide_model(store: FactStore) -> ModelFacts:
    result: CaptureResult = store.get("capture")
    if result.model is None:
        raise FactUnavailable("the captured training step has no model nncheck could identify")
    return result.model


def provide_train(store: FactStore) -> TrainFacts:
    result: CaptureResult = store.get("capture")
    if result.train is None:
        raise FactUnavailable("no training configuration was captured")
    return result.train


def provide_data(store: FactStore) -> DataFacts:
    result: CaptureResult = store.get("capture")
    if result.data is None or not result.data.inputs:
        if store.target.kind == "model":
            raise FactUnavailable("a saved model's data is given with --data FILE --label COLUMN")
        raise FactUnavailable("the training data is not visible (a custom training loop)")
    return result.data
