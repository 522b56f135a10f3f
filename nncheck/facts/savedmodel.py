"""Saved models: load a .keras / .h5 file or a SavedModel directory in a child process.

The parent never imports a framework; ``nncheck.adapters.loader`` loads the model with
Keras' safe mode on and reports ModelFacts (and DataFacts for ``--data``) like a capture.
"""

from __future__ import annotations

from nncheck.facts import FactStore, RunFailure
from nncheck.facts.capture import probe_env, run_module
from nncheck.facts.live import CaptureResult
from nncheck.findings import Violation

LOAD_TIMEOUT = 300.0


def provide(store: FactStore) -> CaptureResult:
    """The ``capture`` fact provider of a saved-model target."""
    target = store.target
    timeout = target.capture.timeout if target.capture else LOAD_TIMEOUT
    arguments = [
        str(target.path.resolve()),
        str(target.options.max_samples),
        str(target.data_path.resolve()) if target.data_path else "",
        target.label or "",
    ]
    options = target.capture
    env = {}
    if options is not None and options.probes and target.data_path is not None:
        env = probe_env(options)
    result = run_module(
        "nncheck.adapters.loader",
        arguments,
        target.path.resolve().parent,
        timeout + (options.probe_budget + 60 if env else 0) if options else timeout,
        f"loading the model took longer than {timeout:g} s (--timeout); nncheck stopped it",
        "loading the model",
        env,
    )
    if result.status == "captured":
        return result
    if result.status == "unreadable":
        raise RunFailure("E006", Violation(result.error or "the model cannot be read"))
    raise RunFailure(
        "E005", Violation(f"nncheck's model loader failed: {result.error}; please report this")
    )
