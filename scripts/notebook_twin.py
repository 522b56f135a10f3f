"""Write a script's notebook twin: its code split into cells where it has two blank lines.

    python scripts/notebook_twin.py fixtures/demo/train.py fixtures/demo/train.ipynb

The test fixtures' notebooks are made this way, so that a notebook's findings can be
compared with its script's line for line (tests/test_notebooks.py checks they are in step).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat import v4


def cells_of(text: str) -> list[str]:
    """The script's top-level blocks: what two blank lines separate."""
    return [block.strip("\n") for block in text.split("\n\n\n") if block.strip()]


def main() -> None:
    script, out = Path(sys.argv[1]), Path(sys.argv[2])
    notebook = v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.cells.append(
        v4.new_markdown_cell(f"# {script.stem}\n\nThe notebook twin of `{script.name}`.")
    )
    notebook.cells.extend(v4.new_code_cell(block) for block in cells_of(script.read_text()))
    nbformat.validate(notebook)
    out.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
