from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_EXPECT = re.compile(r"#\s*nncheck-expect:(.*)")


def expected_codes(path: Path) -> set[str] | None:
    """The rule codes a fixture declares in its ``# nncheck-expect:`` header line."""
    for line in path.read_text(encoding="utf-8").splitlines()[:5]:
        match = _EXPECT.match(line.strip())
        if match:
            return set(match.group(1).split())
    return None


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if expected_codes(p) is not None)


@pytest.fixture
def write_script(tmp_path: Path):
    """Write a script into a temporary directory and return its path."""

    def write(text: str, name: str = "train.py") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
