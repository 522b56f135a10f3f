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

# kind -> "module:function". Later capabilities add their kinds here.
PROVIDERS: dict[str, str] = {
    "source": "nncheck.facts.source:provide",
    "capture": "nncheck.facts.capture:provide",
    "model": "nncheck.facts.capture:provide_model",
    "train": "nncheck.facts.capture:provide_train",
    "data": "nncheck.facts.capture:provide_data",
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


@dataclass(frozen=True)
class CaptureOptions:
    """How to run a script: its time limit, the data sample size and its own arguments."""

    timeout: float = 300.0
    max_samples: int = 10_000
    script_args: tuple[str, ...] = ()


@dataclass
class Target:
    """One thing to check: a training script (later also saved models and data files)."""

    path: Path
    display_path: str
    static: bool = True
    capture: CaptureOptions | None = None  # None: never run (static, or found in a directory)


@dataclass
class FactStore:
    """Builds each fact kind on first request and remembers the result, failures included."""

    target: Target
    providers: dict[str, str] = field(default_factory=lambda: dict(PROVIDERS))
    _cache: dict[str, Any] = field(default_factory=dict)
    _errors: dict[str, Exception] = field(default_factory=dict)

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
        spec = self.providers.get(kind)
        if spec is None:
            raise FactUnavailable(f"no provider for {kind} facts in this version of nncheck")
        module_name, _, function_name = spec.partition(":")
        return getattr(importlib.import_module(module_name), function_name)
