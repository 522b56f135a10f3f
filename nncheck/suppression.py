"""Per-line suppression comments: ``# nncheck: ignore[T102, missing-random-seed]``.

A bare ``# nncheck: ignore`` silences every finding on its line. A finding that spans several
lines (a multi-line ``fit(...)`` call) is silenced by a comment on any of them.
"""

from __future__ import annotations

import re

from nncheck.findings import Finding

_IGNORE = re.compile(r"#\s*nncheck\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)


def selectors_on(comment: str) -> list[str] | None:
    """The selectors a comment names: [] for a bare ignore, None when it is no ignore comment."""
    match = _IGNORE.search(comment)
    if match is None:
        return None
    inside = match.group(1)
    return [] if inside is None else [s.strip() for s in inside.split(",") if s.strip()]


def is_suppressed(finding: Finding, comments: dict[int, str]) -> bool:
    last = max(finding.line, finding.end_line or finding.line)
    for line in range(finding.line, last + 1):
        comment = comments.get(line)
        if comment is None:
            continue
        selectors = selectors_on(comment)
        if selectors is None:
            continue
        if not selectors or any(_matches(finding, s) for s in selectors):
            return True
    return False


def _matches(finding: Finding, selector: str) -> bool:
    if selector.lower() == finding.name:
        return True
    upper = selector.upper()
    return bool(re.fullmatch(r"[A-Z]\d{0,3}", upper)) and finding.code.startswith(upper)
