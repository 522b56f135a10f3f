"""Reporters: turn a run's findings into what a person or a CI system reads.

Each format is one module with ``render(result, context) -> str``; rendering never computes
statistics, it only lays out what the engine found.
"""

from __future__ import annotations

from dataclasses import dataclass

from nncheck.findings import Severity

FORMATS = ("text", "json", "sarif", "junit", "github", "html")


@dataclass(frozen=True)
class ReportContext:
    """What a reporter needs besides the findings: the run's mode and the user's choices."""

    mode: str
    verbose: bool = False
    color: bool = False
    fail_threshold: Severity | None = Severity.ERROR


def render(output_format: str, result: object, context: ReportContext) -> str:
    """The report in ``output_format`` (one module per format, imported on demand)."""
    import importlib

    module = "json_report" if output_format == "json" else output_format
    return importlib.import_module(f"nncheck.reports.{module}").render(result, context)
