"""Capture: run the user's script in a child process and read back what it trains.

The parent never imports a framework: the child (``nncheck.adapters.child``) runs the script
with Keras' training entry points intercepted and writes plain facts to a temporary file.
This module owns everything around that run: the time limit, killing the child's whole
process tree, removing the temporary directory, and turning a failed run into E002-E005.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Protocol

from nncheck.facts import FactStore, FactUnavailable, RunFailure
from nncheck.facts.live import CaptureResult, DataFacts, ModelFacts, ProbeFacts, TrainFacts
from nncheck.findings import Violation, display_path
from nncheck.options import RunOptions

ENTRY_POINTS = (
    "Model.fit, Model.train_on_batch, a Keras optimizer step (apply_gradients / apply) or "
    "a PyTorch optimizer.step()"
)
PROBE_GRACE_S = 60.0  # cloning and compiling on top of the probes' own budget


def provide(store: FactStore) -> CaptureResult:
    """The ``capture`` fact provider: run the script once and keep what it reported."""
    target = store.target
    if target.capture is None:
        raise FactUnavailable(
            "found by searching a directory: nncheck runs only scripts named on the command line"
        )
    source = store.get("source")
    if not source.uses_keras and "pytorch" not in source.frameworks:
        message = (
            "the script imports neither Keras, TensorFlow nor PyTorch, so it cannot call "
            f"{ENTRY_POINTS}"
        )
        raise RunFailure("E004", Violation(message))
    result = run_child(target.path, target.capture)
    return _checked(result, target.path, target.capture)


def _checked(result: CaptureResult, script: Path, options: RunOptions) -> CaptureResult:
    if result.status == "captured":
        return result
    calls = int(result.extra.get("fit_calls", 0))
    if result.status == "no_training" and options.fit_call > 1:
        raise RunFailure(
            "E004",
            Violation(
                f"--fit-call {options.fit_call} asks for the script's fit() call number "
                f"{options.fit_call}, but it called fit() {_times(calls)} and ended"
            ),
        )
    if result.status == "unsupported":
        raise RunFailure("E004", Violation(result.error or "the script cannot be captured"))
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


def _times(count: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(count, f"{count} times")


class ChildProcess(Protocol):
    """What run_module needs of a started child: a subprocess.Popen, or a stand-in."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...


def spawn_child(command: list[str], log: IO[bytes], env: dict[str, str], cwd: Path) -> ChildProcess:
    """A fresh interpreter per script, leading its own process group: a script may choose
    its Keras backend (KERAS_BACKEND) before it imports Keras, so nothing may be imported
    before it runs."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )


# How run_module starts its children. The test suite swaps in children forked from a
# server that imported Keras once (tests/forked_children.py) for its many fixtures.
start_child: Callable[[list[str], IO[bytes], dict[str, str], Path], ChildProcess] = spawn_child


def _kill_tree(process: ChildProcess) -> None:
    """Stop the child and everything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def probe_env(options: RunOptions, progress: Path | None = None) -> dict[str, str]:
    """How a child learns that it runs the probes (read by ProbeOptions.from_env)."""
    settings: dict[str, object] = {"budget": options.probe_budget, "seed": options.seed}
    if progress is not None:
        settings["progress"] = str(progress)
    return {"NNCHECK_PROBES": json.dumps(settings)}


def run_child(script: Path, options: RunOptions) -> CaptureResult:
    """Run ``script`` in a child process; E003 when it does not reach training in time.

    With probes, a twin child runs the script again at the same time and reports only the
    fingerprint of the weights it built: X109 compares the two.
    """
    arguments = [str(script.resolve()), str(options.max_samples), *options.script_args]
    timeout_message = (
        f"the script did not reach training within {options.timeout:g} s "
        "(--timeout); nncheck stopped it and every process it started"
    )
    cwd = script.resolve().parent

    def main(progress: Path | None) -> CaptureResult:
        env = {"NNCHECK_FIT_CALL": str(options.fit_call)}
        if options.probes:
            env["NNCHECK_PRESEED"] = str(options.seed)
            env.update(probe_env(options, progress))
        return run_module(
            "nncheck.adapters.child",
            arguments,
            cwd,
            options.timeout,
            timeout_message,
            "training",
            env,
            options.probe_budget + PROBE_GRACE_S if options.probes else 0,
            progress,
            display_path(script) if options.progress else None,
        )

    if not options.probes:
        return main(None)
    stop_twin = threading.Event()  # set when the main run ends early (an error, a signal)
    with (
        tempfile.TemporaryDirectory(prefix="nncheck-progress-") as tmp,
        ThreadPoolExecutor(2) as pool,
    ):
        twin = pool.submit(
            run_module,
            "nncheck.adapters.child",
            arguments,
            cwd,
            options.timeout,
            timeout_message,
            "training",
            {"NNCHECK_FINGERPRINT_ONLY": "1", "NNCHECK_FIT_CALL": str(options.fit_call)},
            cancel=stop_twin,
        )
        try:
            result = main(Path(tmp) / "progress")
        except BaseException:
            stop_twin.set()  # the twin's child is killed before the pool waits for it
            raise
        try:
            twin_result = twin.result()
        except RunFailure:
            twin_result = None
    if result.probes is not None and twin_result is not None and twin_result.probes:
        result.probes.twin_fingerprint = twin_result.probes.fingerprint
    return result


class _ProgressDisplay:
    """Which probe runs, on stderr (rich), while the child works; quiet when not a tty."""

    def __init__(self, label: str | None, progress: Path | None) -> None:
        self.progress, self.status = progress, None
        if label is not None and progress is not None:
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_terminal:
                self.status = console.status(f"nncheck: running {label}")
                self.status.start()
        self.label = label

    def update(self) -> None:
        if self.status is None or self.progress is None or not self.progress.exists():
            return
        lines = self.progress.read_text().strip().splitlines()
        if lines:
            index, total, name = lines[-1].split("\t")
            text = name.replace("_", " ")
            self.status.update(f"nncheck: {self.label}: probe {int(index) + 1}/{total} ({text})")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


def run_module(
    module: str,
    arguments: list[str],
    cwd: Path,
    timeout: float,
    timeout_message: str,
    before: str,
    env_extra: dict[str, str] | None = None,
    after_result: float = 0.0,
    progress: Path | None = None,
    label: str | None = None,
    cancel: threading.Event | None = None,
) -> CaptureResult:
    """Run ``python -m module ARG0 OUT ARGS...`` and read back the CaptureResult it pickles
    to OUT (inserted as the second argument). Owns the time limit, the process tree and the
    temporary directory. ``after_result``: once OUT exists (the capture is written), the
    child may go on for that many seconds (the probes) before it is stopped; the capture is
    kept either way. ``cancel``: when set (from another thread), the child is stopped.

    Whatever ends the wait (a time limit, Ctrl-C, SIGTERM turned into an exception by
    :mod:`nncheck.interrupts`, a cancel), the child's process group is killed and the
    temporary directory removed before the exception goes on."""
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
        env.update(env_extra or {})
        command = [sys.executable, "-m", module, arguments[0], str(out), *arguments[1:]]
        display = _ProgressDisplay(label, progress)
        with log_path.open("wb") as log:
            process = start_child(command, log, env, cwd)
            stopped_probes = False
            try:
                deadline, extended = time.monotonic() + timeout, False
                while process.poll() is None:
                    time.sleep(0.05)
                    display.update()
                    if cancel is not None and cancel.is_set():
                        raise RunFailure("E005", Violation("the run was cancelled"))
                    if after_result and not extended and out.exists():
                        deadline, extended = time.monotonic() + after_result, True
                    if time.monotonic() > deadline:
                        _kill_tree(process)
                        if not extended:
                            raise RunFailure("E003", Violation(timeout_message))
                        stopped_probes = True
            except BaseException:
                _kill_tree(process)
                raise
            finally:
                display.stop()
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
            result: CaptureResult = pickle.load(handle)
        if stopped_probes:
            result.extra["probes_stopped"] = after_result
        return result


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


def provide_probes(store: FactStore) -> ProbeFacts:
    """The ``probes`` fact provider: the probes the child ran after the capture."""
    options = store.target.capture
    if options is None or not options.probes:
        raise FactUnavailable("the probes are off (--no-probes)")
    result: CaptureResult = store.get("capture")
    if "probes_stopped" in result.extra:
        raise RunFailure(
            "E007",
            Violation(
                f"the probes ran past --probe-budget {options.probe_budget:g} s by more than "
                f"{PROBE_GRACE_S:g} s (one step of this model takes longer than the budget "
                "allows) and nncheck stopped them: no probe finding is reported",
                fix=f"--probe-budget {int(options.probe_budget * 4)}",
            ),
        )
    if result.probes is None:
        reason = result.notes[-1] if result.notes else "the probes did not run on this setup"
        raise FactUnavailable(reason)
    return result.probes


def provide_data(store: FactStore) -> DataFacts:
    result: CaptureResult = store.get("capture")
    if result.data is None or not result.data.inputs:
        if store.target.kind == "model":
            raise FactUnavailable("a saved model's data is given with --data FILE --label COLUMN")
        raise FactUnavailable("the training data is not visible (a custom training loop)")
    return result.data
