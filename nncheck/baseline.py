"""Baselines: adopt nncheck on an existing project and fail only on findings that are new.

``--write-baseline FILE`` records today's findings; ``--baseline FILE`` drops the findings
recorded there and reports (and fails on) the rest. A finding is keyed on its rule, its file
and a signature of its content: the source line it points at (whitespace-normalised) and its
message with numbers blanked, never the line number, so code moving up or down does not
make a finding new, while editing the flagged statement does. Keys are counted, so a third
copy of a twice-recorded finding is new. nncheck's own failures (E0xx) are never baselined.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nncheck.findings import Finding
from nncheck.notebook import NotebookError, read_notebook
from nncheck.version import __version__

FORMAT = "nncheck-baseline"
FORMAT_VERSION = 1
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


class BaselineError(ValueError):
    """The baseline file cannot be used: missing, not a baseline, or another format version."""


@dataclass(frozen=True)
class Key:
    code: str
    path: str  # relative to the baseline file's directory, POSIX separators
    signature: str


def _relative_path(path: str, root: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


def _source_line(finding: Finding, cache: dict[str, list[str]]) -> str:
    """The line a finding points at (in a notebook, the line of its cell)."""
    line = finding.line
    if line <= 0:
        return ""
    key = finding.path if finding.cell is None else f"{finding.path}\0{finding.cell}"
    if key not in cache:
        cache[key] = _read_lines(Path(finding.path), finding.cell)
    lines = cache[key]
    return " ".join(lines[line - 1].split()) if line <= len(lines) else ""


def _read_lines(path: Path, cell: int | None) -> list[str]:
    try:
        if cell is not None:
            return read_notebook(path).cell_lines(cell)
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, NotebookError):
        return []


def signature(finding: Finding, source_line: str) -> str:
    """A short digest of what the finding says about which statement, without numbers."""
    message = _NUMBER.sub("#", finding.message)
    text = "\0".join((finding.code, finding.layer or "", source_line, message))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def keys(findings: list[Finding], root: Path) -> list[tuple[Key, Finding]]:
    cache: dict[str, list[str]] = {}
    return [
        (
            Key(
                f.code,
                _relative_path(f.path, root),
                signature(f, _source_line(f, cache)),
            ),
            f,
        )
        for f in findings
        if not f.code.startswith("E")
    ]


def write(findings: list[Finding], path: Path) -> int:
    """Record ``findings`` in ``path``; returns how many were recorded."""
    root = path.resolve().parent
    entries = [
        {"code": k.code, "path": k.path, "signature": k.signature, "message": f.message}
        for k, f in keys(findings, root)
    ]
    entries.sort(key=lambda e: (e["path"], e["code"], e["signature"]))
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "nncheck": __version__,
        "findings": entries,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return len(entries)


@dataclass
class Baseline:
    root: Path
    known: Counter[Key]

    def new_findings(self, findings: list[Finding]) -> tuple[list[Finding], int]:
        """The findings not recorded in the baseline, and how many were recorded ones."""
        remaining = Counter(self.known)
        recorded_keys = {id(f): k for k, f in keys(findings, self.root)}
        new: list[Finding] = []
        matched = 0
        for finding in findings:
            key = recorded_keys.get(id(finding))
            if key is not None and remaining[key] > 0:
                remaining[key] -= 1
                matched += 1
            else:
                new.append(finding)
        return new, matched


def load(path: Path) -> Baseline:
    """Read a baseline written by ``write``; BaselineError with one clear line otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline file (create it with --write-baseline)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: not a readable nncheck baseline ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BaselineError(f"{path}: not an nncheck baseline file")
    if document.get("version") != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format {document.get('version')!r} (written by nncheck "
            f"{document.get('nncheck', '?')}); this nncheck {__version__} reads format "
            f"{FORMAT_VERSION}: regenerate it with --write-baseline"
        )
    try:
        known = Counter(
            Key(str(e["code"]), str(e["path"]), str(e["signature"])) for e in document["findings"]
        )
    except (KeyError, TypeError) as error:
        raise BaselineError(f"{path}: malformed baseline entry ({error})") from None
    return Baseline(path.resolve().parent, known)
