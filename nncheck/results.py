"""What a run produced: findings, the rules that could not run and why, and probe results.

Below the engine and above facts and findings, so reporters read a run without importing
the machinery that made it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nncheck.findings import Finding, Severity

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts


@dataclass(frozen=True)
class Skip:
    """A rule that did not run on a target, and why."""

    code: str
    path: str
    reason: str


@dataclass(frozen=True)
class LabelCounts:
    """How often each label occurs in one output's targets (classification only)."""

    target: str
    kind: str  # "binary", "sparse", "one_hot", "multi_hot"
    counts: dict[str, int]


@dataclass(frozen=True)
class OutputPrior:
    """A classifier head's initial bias next to the bias its class prior asks for."""

    layer: str
    activation: str  # "sigmoid" or "softmax"
    prior: list[float]
    bias: list[float]
    prior_bias: list[float]


@dataclass
class Overview:
    """What a captured target trains, for the report's pictures: the configured learning
    rate, the label counts and the output bias against the prior."""

    optimizer: str | None = None
    learning_rate: float | None = None
    labels: list[LabelCounts] = field(default_factory=list)
    output_priors: list[OutputPrior] = field(default_factory=list)


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    files: int = 0
    suppressed: int = 0
    baselined: int = 0  # findings dropped because --baseline records them
    probes: dict[str, ProbeFacts] = field(default_factory=dict)  # display path -> probes
    overviews: dict[str, Overview] = field(default_factory=dict)  # display path -> overview
    notes: list[str] = field(default_factory=list)  # said once, after the findings
    # display path -> text_digest of the source the check read: --fix edits only that text
    source_digests: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """nncheck could not do all of its job (an E0xx finding): exit code 2."""
        return any(f.code.startswith("E") for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def text_digest(text: str) -> str:
    """A file's fingerprint: --fix compares it to know the file is still what was checked."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
