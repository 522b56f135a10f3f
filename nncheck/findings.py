"""What a rule reports: severities, locations and findings.

A rule yields :class:`Violation` objects (what is wrong, where, how to fix it); the engine turns
each into a :class:`Finding` by adding the rule's identity and severity and the file it came
from. Reporters only ever see findings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered so that ``severity >= fail_on`` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"Expected a severity ({choices}). Received: {text!r}") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Edit:
    """A fix that ``--fix`` can apply to the source: plain data, applied by nncheck.fixes.

    ``argument``: set an argument of the call named ``call`` that starts on ``line`` (at
    ``col`` when known): the keyword ``keyword``, or the positional ``position``, to the
    Python expression ``value``; a missing keyword is added. With ``old``, the argument's
    current source must be that literal (or a module-level name assigned only that literal,
    which is then changed where it is assigned); otherwise the edit is not applied.
    ``statement``: insert the statement ``value`` after the module's imports.
    ``safe``: certain from the source and within what the finding says; an unsafe edit
    changes the model's behaviour beyond it and needs ``--unsafe-fixes``.
    """

    kind: str  # "argument" or "statement"
    value: str
    line: int = 0
    col: int = 0
    call: str = ""  # the called name's last part: "EarlyStopping", "Dense", "fit"
    keyword: str | None = None
    position: int | None = None
    old: str | None = None
    safe: bool = True


@dataclass(frozen=True)
class Violation:
    """One problem found by a rule, before the engine stamps it with the rule's identity.

    ``line`` and ``col`` are 1-based; 0 means "the whole line" or "the whole file". ``fix``
    is the concrete change that makes the finding go away (code where possible). ``data``
    carries the measured numbers for machine-readable reports.
    """

    message: str
    line: int = 0
    col: int = 0
    end_line: int | None = None
    fix: str | None = None
    layer: str | None = None
    data: dict[str, object] = field(default_factory=dict)
    path: str | None = None  # another file than the target (a layer built in a user module)
    edit: Edit | None = None  # the fix as an edit --fix can apply, when it is certain


@dataclass(frozen=True)
class Finding:
    """A violation with the rule's code, name and severity and the file it is about."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int = 0
    col: int = 0
    end_line: int | None = None
    fix: str | None = None
    layer: str | None = None
    tip: int | None = None
    data: dict[str, object] = field(default_factory=dict)
    cell: int | None = None  # a notebook's cell (numbered over all its cells); line is in it
    edit: Edit | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.line, self.col, self.code)

    @property
    def where(self) -> str:
        """``path:line:col``, ``path:cell N:line:col`` in a notebook, as editors jump to."""
        text = self.path + (f":cell {self.cell}" if self.cell is not None else "")
        if self.line:
            text += f":{self.line}" + (f":{self.col}" if self.col else "")
        return text

    @property
    def line_label(self) -> str:
        """ "line 12", or "cell 4, line 12" in a notebook; "" for the whole file."""
        if not self.line:
            return f"cell {self.cell}" if self.cell is not None else ""
        return (f"cell {self.cell}, " if self.cell is not None else "") + f"line {self.line}"

    def to_dict(self) -> dict[str, object]:
        """The finding in the documented JSON schema (docs/json-schema.md)."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "fix": self.fix,
            "location": {
                "path": self.path,
                "line": self.line,
                "column": self.col,
                "end_line": self.end_line,
                "cell": self.cell,
                "layer": self.layer,
            },
            "tip": self.tip,
            "data": self.data,
        }


def display_path(path: Path) -> str:
    """The path as users and CI systems want it: relative to the working directory if inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
