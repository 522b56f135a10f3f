"""Reporters: turn a run's findings into what a person or a CI system reads.

Each format is one module with ``render(result, context) -> str``; rendering never computes
statistics, it only lays out what the engine found.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("text", "json")


@dataclass(frozen=True)
class ReportContext:
    """What a reporter needs besides the findings: the run's mode and the user's choices."""

    mode: str
    verbose: bool = False
    color: bool = False
