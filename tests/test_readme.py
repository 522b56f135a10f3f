"""README.md stays true: its rule table and its example output match the code."""

from __future__ import annotations

import re

from conftest import ROOT

from nncheck.registry import all_rules

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == [
        "make demo",
        "make test",
    ]


def test_the_rule_table_matches_the_registry() -> None:
    """Code, name, severity, tip, mode and fix kind of every row are the registry's, and
    every rule has one."""
    rows = {}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"[A-Z]\d{3}", cells[0]):
            rows[cells[0]] = (cells[1], cells[2], cells[3], cells[5], cells[6])
    expected = {
        r.code: (
            r.name,
            r.severity.label,
            str(r.tip) if r.tip is not None else "-",
            r.mode,
            r.fix or "-",
        )
        for r in all_rules()
    }
    assert rows == expected


def test_example_outputs_are_the_demo_outputs() -> None:
    for name in ("demo_full.txt", "demo_static.txt"):
        snapshot = (ROOT / "tests" / "snapshots" / name).read_text(encoding="utf-8")
        assert snapshot in README, f"README's example differs from tests/snapshots/{name}"


def test_the_pytorch_demo_example_lists_the_demos_expected_findings() -> None:
    """The README's PyTorch example is a real run: its findings are exactly the codes the
    PyTorch demo declares for the full check (tests/test_fixtures.py checks those)."""
    from conftest import FIXTURES, expected_codes

    start = README.index("```text\nfixtures/demo/train_torch.py\n")
    block = README[start : README.index("```", start + 3)]
    codes = set(
        re.findall(r"^fixtures/demo/train_torch\.py:\d+(?::\d+)? ([A-Z]\d{3}) ", block, re.M)
    )
    assert codes == expected_codes(FIXTURES / "demo" / "train_torch.py", "full")
