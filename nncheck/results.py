"""What a run produced: findings, the rules that could not run and why, and probe results.

Below the engine and above facts and findings, so reporters read a run without importing
the machinery that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nncheck.facts.live import ProbeFacts
from nncheck.findings import Finding, Severity


@dataclass(frozen=True)
class Skip:
    """A rule that did not run on a target, and why."""

    code: str
    path: str
    reason: str


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    files: int = 0
    suppressed: int = 0
    baselined: int = 0  # findings dropped because --baseline records them
    probes: dict[str, ProbeFacts] = field(default_factory=dict)  # display path -> probes
    notes: list[str] = field(default_factory=list)  # said once, after the findings

    @property
    def failed(self) -> bool:
        """nncheck could not do all of its job (an E0xx finding): exit code 2."""
        return any(f.code.startswith("E") for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)
