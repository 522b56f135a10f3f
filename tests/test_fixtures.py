"""Every fixture yields exactly the rule codes its header declares (static mode)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import FIXTURES, expected_codes, fixture_files, header
from forked_children import forked_children

from nncheck.config import command_line_options
from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.facts import STATIC_KINDS
from nncheck.options import RunOptions
from nncheck.registry import all_rules


def _planted(code: str, firing: list[Path]) -> list[Path]:
    """The firing fixtures built for this rule (named after it, or the demo), whose *_fixed
    twin applies the rule's fix; other fixtures may fire it incidentally."""
    return [p for p in firing if p.stem.startswith(code.lower()) or p.parent.name == "demo"]


def _rule_options(path: Path) -> dict[str, dict[str, float | int]]:
    """The fixture's `# nncheck-args: --option CODE.NAME=VALUE ...`, as the CLI reads them."""
    args = (header(path, "nncheck-args") or "").split()
    values = [args[i + 1] for i, arg in enumerate(args) if arg == "--option"]
    return command_line_options(values, {})


def _codes(path: Path) -> set[str]:
    targets = collect_targets([path], static=True)
    result = check_targets(targets, select_rules(None, ()), _rule_options(path))
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
        twins = [p.with_name(p.stem + "_fixed.py") for p in _planted(rule.code, firing)]
        existing = [t for t in twins if t.exists()]
        assert existing, f"{rule.code} has no *_fixed.py look-alike where it must stay quiet"
        for twin in existing:
            assert rule.code not in expected_codes(twin)


def test_clean_fixtures_expect_nothing() -> None:
    clean = sorted((FIXTURES / "clean").glob("*.py"))
    assert len(clean) >= 8
    assert all(expected_codes(p) == set() for p in clean)


def _capture_options(path: Path) -> RunOptions:
    """The fixture's `# nncheck-args:`; probes only where it says --probes (they cost
    seconds per fixture; every X fixture and a set of clean ones ask for them). The probes'
    budget is a safety limit far above their work, so a busy machine cannot change a verdict;
    the script's time limit is as generous."""
    args = (header(path, "nncheck-args") or "").split()
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 300.0
    return RunOptions(timeout=timeout, probes="--probes" in args, probe_budget=600)


@pytest.fixture(scope="session")
def full_results() -> dict[Path, set[str]]:
    """Every full-mode fixture checked once, two at a time (each runs its script in a child);
    a fixture's `# nncheck-args: --select CODES` narrows the rules it runs."""

    def run(path: Path) -> tuple[Path, set[str]]:
        args = (header(path, "nncheck-args") or "").split()
        select = args[args.index("--select") + 1].split(",") if "--select" in args else None
        rules = select_rules(select, ())
        targets = collect_targets([path], static=False, capture=_capture_options(path))
        findings = check_targets(targets, rules, _rule_options(path)).findings
        return path, {f.code for f in findings}

    with forked_children(), ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, fixture_files("full")))


@pytest.mark.parametrize(
    "path", fixture_files("full"), ids=lambda p: f"full:{p.relative_to(FIXTURES)}"
)
def test_full_check_yields_exactly_the_expected_codes(path: Path, full_results) -> None:
    assert full_results[path] == expected_codes(path, "full")


def test_every_live_rule_fires_on_a_full_fixture_and_not_on_its_fixed_twin() -> None:
    live_rules = [
        r for r in all_rules() if any(not set(n) <= STATIC_KINDS for n, _ in r.implementations)
    ]
    assert live_rules
    for rule in live_rules:
        if rule.gpu:  # no CPU fixture can make it fire: judged on hand-built facts
            tests = (Path(__file__).parent / "test_probe_rules.py").read_text()
            assert f'"{rule.code}"' in tests, f"{rule.code} has no hand-built-facts test"
            continue
        firing = [p for p in fixture_files("full") if rule.code in expected_codes(p, "full")]
        assert firing, f"{rule.code} has no full-mode fixture where it fires"
        if rule.code.startswith("E"):
            continue
        twins = [p.with_name(p.stem + "_fixed.py") for p in _planted(rule.code, firing)]
        existing = [t for t in twins if t.exists()]
        assert existing, f"{rule.code} has no *_fixed.py look-alike in full mode"
        for twin in existing:
            assert rule.code not in expected_codes(twin, "full")
