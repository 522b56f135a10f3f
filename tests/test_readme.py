"""README.md stays true: its rule table and its example output match the code."""

from __future__ import annotations

from conftest import ROOT

from nncheck.registry import all_rules

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == [
        "make demo",
        "make test",
    ]


def test_rule_table_lists_every_rule_with_its_name_and_severity() -> None:
    for rule in all_rules():
        row = f"| {rule.code} | {rule.name} | {rule.severity.label} |"
        assert row in README, f"README rule table lacks: {row}"


def test_example_outputs_are_the_demo_outputs() -> None:
    for name in ("demo_full.txt", "demo_static.txt"):
        snapshot = (ROOT / "tests" / "snapshots" / name).read_text(encoding="utf-8")
        assert snapshot in README, f"README's example differs from tests/snapshots/{name}"
