"""Jupyter notebooks as scripts: the code cells in order, IPython syntax made Python, line for line.

A notebook is checked like the script its code cells make when run top to bottom. Each cell
keeps its line count, so a line of that script maps back to ``(cell, line in cell)``: cells are
numbered 1, 2, ... over every cell of the notebook, markdown included, as a reader counts them
from the top. IPython's own syntax is rewritten to plain Python of one line each, never run:

- ``%pip``, ``!ls``, ``%matplotlib inline``, ``obj?`` and the other magics and shell escapes
  become ``pass`` (``x = !ls`` becomes ``x = []``);
- ``%time stmt`` / ``%timeit stmt`` become ``stmt`` (the statement is what trains);
- ``%env NAME=value`` and ``%cd DIR`` become the ``os`` calls they make, since the framework
  a notebook picks (``%env KERAS_BACKEND=jax``) and the files it reads depend on them;
- a ``%%time`` / ``%%capture`` cell keeps its Python body; a ``%%bash`` or ``%%writefile`` cell
  is not Python, and all of its lines become ``pass``.

The JSON is read with the standard library, not the ``nbformat`` package: importing that costs
140 ms, most of a whole static check (180 ms), for the two fields read here. Like Jupyter, the
reader accepts a notebook whose metadata strays from the schema; only what it runs must be
there: nbformat 4, a list of cells, each with its type and its source as text.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOK_SUFFIX = ".ipynb"

# Cell magics whose body is Python that IPython runs in the notebook's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug"})
# Line magics whose argument is a Python statement, run once here.
STATEMENT_MAGICS = frozenset({"time", "timeit", "prun", "memit"})

_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<sigil>%%|%|!!|!)(?P<body>.*)$")
_ASSIGNED_MAGIC = re.compile(
    r"^(?P<indent>[ \t]*)(?P<target>[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)[ \t]*=[ \t]*(?:%|!)"
)
_HELP = re.compile(r"^[ \t]*[?]*[\w.]+\?{1,2}[ \t]*$")
_OPTION = re.compile(r"^(?:-\S+\s+)*")
_INVALID = "the notebook does not follow nbformat 4"
_LINE_MENTION = re.compile(r"\bline (\d+)\b")


class NotebookError(ValueError):
    """The file is not a notebook nncheck can read; the message is one line for the user."""


@dataclass(frozen=True)
class CellSpan:
    """Where one code cell's lines sit in the notebook's script."""

    number: int  # 1-based, over every cell of the notebook
    first_line: int  # the script line of the cell's first line (1-based)
    line_count: int


@dataclass(frozen=True)
class NotebookSource:
    """The script a notebook's code cells make, and the map back to its cells."""

    text: str
    cells: tuple[CellSpan, ...]
    rewritten: int  # lines of IPython syntax rewritten (magics, shell escapes, help)

    def locate(self, line: int) -> tuple[int, int] | None:
        """``(cell number, line in the cell)`` of a script line; None for line 0 or past the end."""
        if line <= 0 or not self.cells:
            return None
        index = bisect.bisect_right([c.first_line for c in self.cells], line) - 1
        if index < 0:
            return None
        cell = self.cells[index]
        within = line - cell.first_line + 1
        return (cell.number, within) if within <= cell.line_count else None

    def line_label(self, line: int) -> str:
        """ "line 4 of cell 5" for a script line; "line N" when it is in no cell."""
        place = self.locate(line)
        return f"line {place[1]} of cell {place[0]}" if place else f"line {line}"

    def relabel_lines(self, text: str) -> str:
        """A message's "line N" (a line of the notebook's script) as "line M of cell C"."""
        return _LINE_MENTION.sub(lambda m: self.line_label(int(m.group(1))), text)

    def cell_lines(self, number: int) -> list[str]:
        """The (rewritten) lines of cell ``number``; [] when it is not a code cell."""
        lines = self.text.splitlines()
        for cell in self.cells:
            if cell.number == number:
                return lines[cell.first_line - 1 : cell.first_line - 1 + cell.line_count]
        return []


def is_notebook(path: Path) -> bool:
    return path.suffix.lower() == NOTEBOOK_SUFFIX


def read_notebook(path: Path) -> NotebookSource:
    """The notebook at ``path`` as a script; NotebookError (one line) when it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise NotebookError(f"cannot read the notebook: {error.strerror or error}") from None
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"the notebook is not valid JSON (line {error.lineno}, column {error.colno}): "
            f"{error.msg}"
        ) from None
    except UnicodeDecodeError as error:
        raise NotebookError(f"the notebook is not UTF-8 text: {error.reason}") from None
    return notebook_source(document)


def notebook_source(document: object) -> NotebookSource:
    """The script of a notebook already parsed from JSON."""
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        version = document.get("nbformat") if isinstance(document, dict) else None
        if isinstance(version, int) and version < 4:
            raise NotebookError(_too_old(version))
        raise NotebookError("not a Jupyter notebook: the JSON has no list of 'cells'")
    version = document.get("nbformat")
    if version != 4:
        raise NotebookError(
            _too_old(version)
            if isinstance(version, int) and version < 4
            else f"the notebook's format is nbformat {version!r}; nncheck reads nbformat 4"
        )
    lines: list[str] = []
    spans: list[CellSpan] = []
    rewritten = 0
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict) or "cell_type" not in cell:
            raise NotebookError(f"{_INVALID}: cell {number} has no 'cell_type'")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"{_INVALID}: cell {number}'s 'source' is not text")
        cell_lines, changed = python_lines(source)
        spans.append(CellSpan(number, len(lines) + 1, len(cell_lines)))
        lines.extend(cell_lines)
        rewritten += changed
    return NotebookSource("".join(line + "\n" for line in lines), tuple(spans), rewritten)


def python_lines(source: str) -> tuple[list[str], int]:
    """A cell's lines with IPython syntax made Python, one line for one, and how many changed."""
    lines = source.splitlines()
    if not lines:
        return [], 0
    first = _MAGIC.match(lines[0])
    if first is not None and first.group("sigil") == "%%" and not first.group("indent"):
        name = first.group("body").split(maxsplit=1)[0] if first.group("body").strip() else ""
        if name in PYTHON_CELL_MAGICS:
            body, changed = _line_magics(lines[1:])
            return ["pass", *body], changed + 1
        return ["pass"] * len(lines), len(lines)
    return _line_magics(lines)


def _line_magics(lines: list[str]) -> tuple[list[str], int]:
    out: list[str] = []
    changed = 0
    continued = ""  # the indentation of a magic continued with a trailing backslash
    for line in lines:
        if continued:
            out.append(continued + "pass")
            changed += 1
            if not line.rstrip().endswith("\\"):
                continued = ""
            continue
        replacement = _rewrite(line)
        if replacement is None:
            out.append(line)
            continue
        out.append(replacement)
        changed += 1
        if line.rstrip().endswith("\\"):
            continued = replacement[: len(replacement) - len(replacement.lstrip())]
    return out, changed


def _rewrite(line: str) -> str | None:
    """The Python for one line of IPython syntax; None for a line that is Python already."""
    match = _MAGIC.match(line)
    if match is not None and match.group("sigil") != "%%":
        indent, sigil, body = match.group("indent"), match.group("sigil"), match.group("body")
        if sigil.startswith("!"):
            return indent + "pass"
        name, _, argument = body.partition(" ")
        argument = argument.strip()
        if name in STATEMENT_MAGICS:
            statement = _OPTION.sub("", argument, count=1)
            return indent + (statement or "pass")
        if name == "env" and argument:
            key, _, value = argument.replace("=", " ", 1).partition(" ")
            if value:
                return f"{indent}__import__('os').environ[{key!r}] = {value.strip()!r}"
        if name == "cd" and argument and not argument.startswith("-"):
            return f"{indent}__import__('os').chdir({argument.strip(chr(34) + chr(39))!r})"
        return indent + "pass"
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned is not None:
        return f"{assigned.group('indent')}{assigned.group('target').strip()} = []"
    if _HELP.match(line):
        return line[: len(line) - len(line.lstrip())] + "pass"
    return None


def _too_old(version: int) -> str:
    return (
        f"the notebook is in the old nbformat {version}; nncheck reads nbformat 4: "
        "`jupyter nbconvert --to notebook --inplace` upgrades it"
    )
