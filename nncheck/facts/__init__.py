"""Facts: what nncheck knows about one target, each kind built lazily and at most once.

A fact kind (``source``, and later ``model``, ``data``, ``train``, ``hardware``, ``probes``) has
one provider: a function ``provide(store) -> facts`` named in :data:`PROVIDERS` by its import
path, so a static run never imports the modules (or the frameworks) behind the other kinds.
A provider that cannot build its facts raises :class:`FactUnavailable` (the rules that need
them are skipped, with the reason) or :class:`RunFailure` (nncheck could not do its job: E0xx).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncheck.findings import Violation
from nncheck.options import DEFAULTS, RunOptions

# kind -> "module:function". Later capabilities add their kinds here.
PROVIDERS: dict[str, str] = {
    "source": "nncheck.facts.source:provide",
    "capture": "nncheck.facts.capture:provide",
    "model": "nncheck.facts.capture:provide_model",
    "train": "nncheck.facts.capture:provide_train",
    "data": "nncheck.facts.capture:provide_data",
    "probes": "nncheck.facts.capture:provide_probes",
    "hardware": "nncheck.facts.hardware:provide",
}

# A data file checked on its own, and a saved model (loaded in a child process, with the
# optional --data file read there too).
DATA_FILE_PROVIDERS: dict[str, str] = {"data": "nncheck.facts.datafile:provide_data"}
SAVED_MODEL_PROVIDERS: dict[str, str] = {
    "capture": "nncheck.facts.savedmodel:provide",
    "model": "nncheck.facts.capture:provide_model",
    "data": "nncheck.facts.capture:provide_data",
    "probes": "nncheck.facts.capture:provide_probes",
    "hardware": "nncheck.facts.hardware:provide",
}
PROVIDERS_BY_KIND = {
    "script": PROVIDERS,
    "data": DATA_FILE_PROVIDERS,
    "model": SAVED_MODEL_PROVIDERS,
}
MISSING_BECAUSE = {
    "data": "a data file alone has no model or training script (give a saved model --data)",
    "model": "a saved model has no training script or fit() arguments",
}

STATIC_KINDS = frozenset({"source"})


class FactUnavailable(Exception):
    """The facts cannot be had in this run (static mode, no data, no GPU); rules are skipped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RunFailure(Exception):
    """nncheck could not do its job on this target; becomes an E0xx finding and exit code 2."""

    def __init__(self, code: str, violation: Violation) -> None:
        super().__init__(violation.message)
        self.code = code
        self.violation = violation


@dataclass(frozen=True, kw_only=True)
class Target:
    """One thing to check: a training script, a saved model or a data file."""

    path: Path
    display_path: str
    kind: str = "script"  # "script", "model" (.keras, .h5, SavedModel) or "data" (CSV, ...)
    static: bool = True  # read the source only
    run: bool = False  # run the script or load the model (not when found in a directory)
    options: RunOptions = DEFAULTS
    data_path: Path | None = None  # a saved model's --data file
    label: str | None = None  # the label column (or NPZ array) of a data file

    @property
    def capture(self) -> RunOptions | None:
        """The options to run the target with; None when it is never run."""
        return self.options if self.run else None

    @property
    def primary_kind(self) -> str | None:
        """The fact kind that must be built even when no rule asks: its failure is E0xx."""
        if self.kind == "data":
            return "data"
        return "capture" if self.capture is not None else None


@dataclass
class FactStore:
    """Builds each fact kind on first request and remembers the result, failures included."""

    target: Target
    providers: dict[str, str] | None = None  # None: the providers for the target's kind
    _cache: dict[str, Any] = field(default_factory=dict)
    _errors: dict[str, Exception] = field(default_factory=dict)

    def has(self, kind: str) -> bool:
        """The kind was built (or handed in) and is at hand."""
        return kind in self._cache

    def get(self, kind: str) -> Any:
        if kind in self._cache:
            return self._cache[kind]
        if kind in self._errors:
            raise self._errors[kind]
        try:
            facts = self._provider(kind)(self)
        except (FactUnavailable, RunFailure) as error:
            self._errors[kind] = error
            raise
        self._cache[kind] = facts
        return facts

    def _provider(self, kind: str) -> Callable[[FactStore], Any]:
        if self.target.static and kind not in STATIC_KINDS:
            raise FactUnavailable(f"needs {kind} facts; --static reads the source only")
        providers = self.providers
        if providers is None:
            providers = PROVIDERS_BY_KIND[self.target.kind]
        spec = providers.get(kind)
        if spec is None:
            why = MISSING_BECAUSE.get(self.target.kind, "no provider in this version of nncheck")
            raise FactUnavailable(f"needs {kind} facts: {why}")
        module_name, _, function_name = spec.partition(":")
        return getattr(importlib.import_module(module_name), function_name)
