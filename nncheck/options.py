"""How nncheck runs a check: one frozen object, each default written once.

The command line, ``[tool.nncheck]``, the Python API and the Keras callback all build a
:class:`RunOptions`; nothing else spells a default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run a target: its time limit, the data sample size, the script's own arguments,
    and the probes after the capture (off unless asked: the CLI asks, --no-probes does not)."""

    timeout: float = 300.0  # seconds a script may run before its first training step
    max_samples: int = 10_000  # most training samples read for the data statistics
    script_args: tuple[str, ...] = ()
    fit_call: int = 1  # which fit() call is checked; the earlier ones train as written
    probes: bool = False
    # seconds all probes together may take: a safety limit, never what sizes a probe's work
    probe_budget: float = 60.0
    seed: int = 0  # the probes' seed
    progress: bool = False  # show which probe runs on stderr


DEFAULTS = RunOptions()
