from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def header(path: Path, key: str) -> str | None:
    """The value of a ``# KEY: value`` line among a fixture's first lines."""
    pattern = re.compile(rf"#\s*{re.escape(key)}:(.*)")
    for line in path.read_text(encoding="utf-8").splitlines()[:6]:
        match = pattern.match(line.strip())
        if match:
            return match.group(1).strip()
    return None


def expected_codes(path: Path, mode: str = "static") -> set[str] | None:
    """The rule codes a fixture declares: ``# nncheck-expect:`` for --static,
    ``# nncheck-expect-full:`` for the full check."""
    value = header(path, "nncheck-expect" if mode == "static" else "nncheck-expect-full")
    return None if value is None else set(value.split())


def fixture_files(mode: str = "static") -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if expected_codes(p, mode) is not None)


@pytest.fixture
def write_script(tmp_path: Path):
    """Write a script into a temporary directory and return its path."""

    def write(text: str, name: str = "train.py") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path_factory, monkeypatch):
    """Each test's temporary files go to a folder of its own (nncheck's children inherit
    TMPDIR): the checks that nncheck leaves nothing behind must not see the files of
    another process on the machine, such as a second test run."""
    path = tmp_path_factory.mktemp("tmp")
    monkeypatch.setenv("TMPDIR", str(path))
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path
