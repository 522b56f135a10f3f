"""Every fixture yields exactly the rule codes its header declares (static mode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, expected_codes, fixture_files

from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.facts import STATIC_KINDS
from nncheck.registry import all_rules


def _codes(path: Path) -> set[str]:
    result = check_targets(collect_targets([path], static=True), select_rules(None, ()))
    return {finding.code for finding in result.findings}


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_yields_exactly_its_expected_codes(path: Path) -> None:
    assert _codes(path) == expected_codes(path)


def test_every_static_rule_fires_on_a_fixture_and_not_on_its_fixed_twin() -> None:
    static_rules = [
        r for r in all_rules() if any(set(n) <= STATIC_KINDS for n, _ in r.implementations)
    ]
    assert static_rules
    for rule in static_rules:
        firing = [p for p in fixture_files() if rule.code in expected_codes(p)]
        assert firing, f"{rule.code} has no fixture where it fires"
        twins = [p.with_name(p.stem + "_fixed.py") for p in firing]
        existing = [t for t in twins if t.exists()]
        assert existing, f"{rule.code} has no *_fixed.py look-alike where it must stay quiet"
        for twin in existing:
            assert rule.code not in expected_codes(twin)


def test_clean_fixtures_expect_nothing() -> None:
    clean = sorted((FIXTURES / "clean").glob("*.py"))
    assert len(clean) >= 8
    assert all(expected_codes(p) == set() for p in clean)
