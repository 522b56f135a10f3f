"""Rule metadata: stable codes, readable names, documentation in ruff's sections."""

from __future__ import annotations

import re

import pytest

from nncheck.findings import Severity
from nncheck.registry import Rule, all_rules, get_rule, register

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.runnable], ids=lambda r: r.code)
def test_every_rule_documents_itself_in_ruff_sections(rule: Rule) -> None:
    for section in SECTIONS:
        assert section in rule.doc, f"{rule.code} lacks {section!r}"
    assert rule.tip is None or 1 <= rule.tip <= 22


def test_codes_and_names_follow_the_conventions() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"[DMTPXAE]\d{3}", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    assert {f"E00{i}" for i in range(1, 6)} <= {r.code for r in rules}


def test_lookup_is_case_insensitive_for_codes_and_exact_for_names() -> None:
    assert get_rule("t102") is get_rule("missing-early-stopping")


def test_registering_a_duplicate_or_malformed_rule_fails() -> None:
    existing = get_rule("T102")
    with pytest.raises(ValueError, match="registered twice"):
        register(existing)
    with pytest.raises(ValueError, match="Expected a rule code"):
        register(Rule("T12", "x-y", Severity.INFO, "", None, (), None))
    with pytest.raises(ValueError, match="kebab-case"):
        register(Rule("T998", "Not_Kebab", Severity.INFO, "", None, (), None))


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.options], ids=lambda r: r.code)
def test_every_option_is_documented_in_its_rule(rule: Rule) -> None:
    for name in rule.options:
        assert f"`{name}`" in rule.doc, f"{rule.code}'s doc does not explain option {name}"
