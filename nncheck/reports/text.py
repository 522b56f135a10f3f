"""The terminal report: findings grouped by file, each with its fix, then a summary line.

The report is built as lines of (text, style) segments, so the same layout prints plain
(pipes, CI logs, pre-commit) or coloured through rich on a terminal.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TextIO

from nncheck.findings import Finding, Severity
from nncheck.reports import ReportContext
from nncheck.results import RunResult

Segment = tuple[str, str]
Line = list[Segment]

SEVERITY_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


def lines(result: RunResult, context: ReportContext) -> list[Line]:
    out: list[Line] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        out.append([(path, "bold underline")])
        for finding in group:
            out.extend(_finding_lines(finding))
        out.append([])
    if result.probes:  # a full check's: --static imports no probe module
        from nncheck.reports.probe_lines import probe_lines

        for path, probes in result.probes.items():
            out.extend(probe_lines(path, probes))
    if context.verbose and result.skips:
        out.extend(_skip_lines(result))
    out.extend([(f"note: {note}", "dim")] for note in result.notes)
    out.append(_summary(result))
    return out


def _finding_lines(finding: Finding) -> list[Line]:
    head: Line = [
        (finding.where, "bold"),
        (" ", ""),
        (finding.code, SEVERITY_STYLES[finding.severity]),
        (" ", ""),
        (f"[{finding.severity.label}]", SEVERITY_STYLES[finding.severity]),
        (" ", ""),
        (finding.message, ""),
    ]
    if finding.layer and f"'{finding.layer}'" not in finding.message:
        head.append((f" (layer '{finding.layer}')", "dim"))
    result = [head]
    if finding.fix:
        fix_lines = finding.fix.splitlines()
        label = "    fix: "
        if finding.edit is not None:  # --fix can apply it
            label = "    fix (--fix): " if finding.edit.safe else "    fix (--unsafe-fixes): "
        result.append([(label, "green"), (fix_lines[0], "")])
        result.extend([(" " * len(label) + extra, "")] for extra in fix_lines[1:])
    return result


def _skip_lines(result: RunResult) -> list[Line]:
    by_reason = Counter((skip.reason, skip.code) for skip in result.skips)
    reasons: dict[str, list[str]] = {}
    for reason, code in sorted(by_reason):
        reasons.setdefault(reason, []).append(code)
    out: list[Line] = [[("Skipped rules:", "bold")]]
    for reason, codes in reasons.items():
        out.append([("  " + ", ".join(codes), "dim"), (f": {reason}", "")])
    out.append([])
    return out


def _summary(result: RunResult) -> Line:
    files = f"{result.files} file" + ("" if result.files == 1 else "s")
    hidden = [f"{result.suppressed} suppressed"] if result.suppressed else []
    if result.baselined:
        hidden.append(f"{result.baselined} in the baseline")
    suppressed = f" ({', '.join(hidden)})" if hidden else ""
    if not result.findings:
        return [(f"No findings in {files}{suppressed}.", "bold green")]
    counts = [
        (result.count(severity), severity)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    ]
    parts: list[Segment] = []
    for count, severity in counts:
        if count:
            if parts:
                parts.append((", ", ""))
            noun = severity.label + ("s" if count != 1 and severity != Severity.INFO else "")
            parts.append((f"{count} {noun}", SEVERITY_STYLES[severity]))
    total = len(result.findings)
    head = f"Found {total} finding{'s' if total != 1 else ''} in {files}: "
    return [(head, "bold"), *parts, (f"{suppressed}.", "")]


def write(result: RunResult, context: ReportContext, stream: TextIO) -> None:
    """Print the report to ``stream``, coloured through rich when ``context.color``."""
    _emit(lines(result, context), context.color, stream)


def write_summary(result: RunResult, context: ReportContext, stream: TextIO) -> None:
    """Only the summary line (the full report went to a file)."""
    _emit([_summary(result)], context.color, stream)


def _emit(rendered: list[Line], color: bool, stream: TextIO) -> None:
    """Plain text, or the same lines styled through rich (imported only for a terminal)."""
    if not color:
        stream.write(_plain(rendered))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True)
    for line in rendered:
        console.print(Text.assemble(*line))


def render(result: RunResult, context: ReportContext) -> str:
    """The plain report as a string (for --output files and tests)."""
    return _plain(lines(result, context))


def _plain(rendered: list[Line]) -> str:
    return "".join("".join(text for text, _ in line) + "\n" for line in rendered)
