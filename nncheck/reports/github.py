"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff."""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.reports import ReportContext
from nncheck.results import RunResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, context: ReportContext) -> str:
    lines = []
    for finding in result.findings:
        properties = [f"file={_property(finding.path)}"]
        if finding.line and finding.cell is None:  # a cell's line is not a line of the file
            properties.append(f"line={finding.line}")
            if finding.end_line and finding.end_line >= finding.line:
                properties.append(f"endLine={finding.end_line}")
            if finding.col:
                properties.append(f"col={finding.col}")
        properties.append(f"title={_property(f'{finding.code} {finding.name}')}")
        message = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
        if finding.cell is not None:
            message = f"{finding.line_label}: {message}"
        lines.append(f"::{COMMANDS[finding.severity]} {','.join(properties)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)
