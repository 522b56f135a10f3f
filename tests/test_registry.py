"""Rule metadata: stable codes, readable names, documentation in ruff's sections."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nncheck.engine import check_targets, collect_targets, select_rules, select_source_rules
from nncheck.findings import Severity
from nncheck.registry import (
    IndexEntry,
    Registry,
    Rule,
    UnknownRuleError,
    all_rules,
    builtin_registry,
    get_rule,
    resolve_selectors,
)
from nncheck.registry import rule as declare
from nncheck.rules.index import RULES

ROOT = Path(__file__).resolve().parent.parent

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


def _declared(code: str, name: str) -> Rule:
    return declare(
        code=code, name=name, severity=Severity.INFO, summary="s", doc="d", implementations=(len,)
    )


def test_a_duplicate_or_malformed_declaration_fails() -> None:
    existing = get_rule("T102")
    with pytest.raises(ValueError, match="declared twice"):
        Registry([existing, existing])
    with pytest.raises(ValueError, match="Expected a rule code"):
        _declared("T12", "x-y")
    with pytest.raises(ValueError, match="kebab-case"):
        _declared("T998", "Not_Kebab")
    with pytest.raises(ValueError, match="no family"):
        _declared("Q998", "x-y")
    with pytest.raises(ValueError, match="declares no implementation"):
        declare(
            code="T998",
            name="x-y",
            severity=Severity.INFO,
            summary="s",
            doc="d",
            implementations=(),
        )


def test_a_registry_does_not_depend_on_the_order_rules_are_found() -> None:
    rules = all_rules()
    forward, backward = Registry(rules), Registry(reversed(rules))
    assert forward.all() == backward.all() == rules
    assert forward.resolve(["T1"]) == backward.resolve(["T1"])


def test_superseding_an_unknown_rule_fails() -> None:
    lonely = declare(
        code="X998",
        name="x-y",
        severity=Severity.INFO,
        summary="s",
        doc="d",
        implementations=(len,),
        supersedes=("T101",),
    )
    with pytest.raises(ValueError, match="supersedes unknown rules"):
        Registry([lonely])


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.options], ids=lambda r: r.code)
def test_every_option_is_documented_in_its_rule(rule: Rule) -> None:
    for name in rule.options:
        assert f"`{name}`" in rule.doc, f"{rule.code}'s doc does not explain option {name}"


def test_the_rule_index_is_current() -> None:
    """rules/index.py lists what the rule modules declare (scripts/index_rules.py writes
    it): a stale index would leave a rule out of --static runs and of lookups by code."""
    spec = importlib.util.spec_from_file_location("index_rules", ROOT / "scripts/index_rules.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert list(RULES) == script.indexed(), "run: python scripts/index_rules.py"
    assert [entry[0] for entry in RULES] == [r.code for r in all_rules()]


def test_selectors_resolve_by_the_index_as_by_the_registry() -> None:
    registry = builtin_registry()
    for selectors in (["ALL"], ["T1", "missing-early-stopping"], ["x"], ["M30", "D101"]):
        assert resolve_selectors(selectors) == registry.resolve(selectors)
    with pytest.raises(UnknownRuleError, match="Unknown rule selector 'T9'"):
        resolve_selectors(["T9"])


def test_a_source_only_run_judges_and_skips_as_a_run_with_every_rule(tmp_path: Path) -> None:
    """--static imports only the rules that can read the source; the others are skipped
    with the reason they always had, in the same order."""
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\nfor x in :\n", encoding="utf-8")
    paths = [ROOT / "fixtures/demo/train.py", ROOT / "fixtures/demo/train_torch.py", broken]
    targets = collect_targets(paths, static=True)
    for select, ignore in ((None, []), (["T1", "X"], ["T109"])):
        every = check_targets(targets, select_rules(select, ignore))
        rules, unloaded = select_source_rules(select, ignore)
        assert unloaded and all(not entry.static for entry in unloaded)
        source_only = check_targets(targets, rules, unloaded=unloaded)
        assert source_only.findings == every.findings
        assert source_only.skips == every.skips


def test_static_imports_only_the_source_rules_and_no_live_facts() -> None:
    """--static's start-up is the imports it makes: the source rules' modules, none of the
    live facts' or the probes' (a rule module imports those for its annotations only)."""
    code = (
        "import sys\n"
        "from nncheck.cli import main\n"
        "sys.argv = ['nncheck', '--static', '-q', 'fixtures/demo/train_torch.py']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    rule_modules = {m.removeprefix("nncheck.rules.") for m in loaded if m.count(".") == 3}
    source_rules = {entry[2] for entry in RULES if IndexEntry(*entry).static}
    assert rule_modules == source_rules
    assert not loaded & {"nncheck.facts.live", "nncheck.facts.probe_results", "numpy"}
