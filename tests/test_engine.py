"""The engine: lazy facts, skips with reasons, crashing rules, suppression comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncheck.engine import (
    TargetError,
    check_targets,
    collect_targets,
    select_rules,
)
from nncheck.facts import FactStore, FactUnavailable, Target
from nncheck.findings import Severity, Violation
from nncheck.registry import Rule, UnknownRuleError, resolve_selectors

SCRIPT = """\
import keras
from keras import layers
model = keras.Sequential([keras.Input((4,)), layers.Dense(100), layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y, epochs=5)
"""


def _rule(code: str, func, needs: tuple[str, ...] = ("source",)) -> Rule:
    return Rule(code, f"test-rule-{code.lower()}", Severity.WARNING, "test", None, needs, func)


PROVIDER_CALLS: list[str] = []


def counting_provider(store: FactStore) -> dict[str, str]:
    PROVIDER_CALLS.append(store.target.display_path)
    return {"built": store.target.display_path}


def test_each_fact_kind_is_built_once_per_target(tmp_path: Path) -> None:
    PROVIDER_CALLS.clear()
    target = Target(tmp_path / "t.py", "t.py")
    store = FactStore(target, providers={"source": "test_engine:counting_provider"})
    assert store.get("source") is store.get("source")
    assert PROVIDER_CALLS == ["t.py"]


def test_static_mode_skips_rules_that_need_other_facts_with_the_reason(write_script) -> None:
    path = write_script(SCRIPT)
    needs_model = _rule("X901", lambda model: [], needs=("model",))
    result = check_targets(collect_targets([path], static=True), [needs_model])
    assert result.findings == []
    (skip,) = result.skips
    assert skip.code == "X901" and "--static reads the source only" in skip.reason


def test_unavailable_facts_are_remembered_not_rebuilt(tmp_path: Path) -> None:
    store = FactStore(Target(tmp_path / "t.py", "t.py", static=False), providers={})
    with pytest.raises(FactUnavailable):
        store.get("model")
    assert isinstance(store._errors["model"], FactUnavailable)


def test_a_crashing_rule_becomes_e005_and_the_other_rules_still_report(write_script) -> None:
    path = write_script(SCRIPT)

    def crash(source):
        raise RuntimeError("boom")

    rules = [_rule("X902", crash), *select_rules(["M301"], ())]
    result = check_targets(collect_targets([path], static=True), rules)
    assert [f.code for f in result.findings] == ["E005", "M301"]
    assert "X902" in result.findings[0].message and "boom" in result.findings[0].message
    assert result.failed


def test_syntax_error_is_e001_once_and_other_files_are_still_checked(write_script) -> None:
    bad = write_script("def broken(:\n", "a_bad.py")
    good = write_script(SCRIPT, "b_good.py")
    result = check_targets(collect_targets([bad, good], static=True), select_rules(None, ()))
    codes = [(Path(f.path).name, f.code) for f in result.findings]
    assert codes.count(("a_bad.py", "E001")) == 1
    assert ("b_good.py", "M301") in codes
    e001 = result.findings[0]
    assert e001.line == 1 and e001.col > 0


def test_suppression_comments(write_script) -> None:
    path = write_script(
        "import keras\nfrom keras import layers\n"
        "model = keras.Sequential([layers.Dense(100), layers.Dense(1)])  # nncheck: ignore\n"
        "model.compile('adam', 'mse')\n"
        "model.fit(\n    x, y, epochs=5\n)  # nncheck: ignore[T109]\n"
    )
    result = check_targets(collect_targets([path], static=True), select_rules(None, ()))
    assert result.findings == []
    assert result.suppressed == 3  # M301 and M401 on the model's line, T109 on the fit


def test_suppression_by_name_and_prefix_and_not_by_other_codes(write_script) -> None:
    base = SCRIPT.replace("model.fit(x, y, epochs=5)", "model.fit(x, y, epochs=5)  # {}")
    for comment, kept in [
        ("nncheck: ignore[missing-random-seed]", []),
        ("nncheck: ignore[T1]", []),
        ("nncheck: ignore[T102]", ["T109"]),
    ]:
        path = write_script(base.format(comment))
        result = check_targets(collect_targets([path], static=True), select_rules(["T109"], ()))
        assert [f.code for f in result.findings] == kept, comment


def test_selectors_accept_codes_prefixes_and_names() -> None:
    assert resolve_selectors(["T102"]) == {"T102"}
    assert resolve_selectors(["missing-random-seed"]) == {"T109"}
    assert {"T101", "T102", "T109"} <= resolve_selectors(["T1"])
    assert all(code.startswith("M") for code in resolve_selectors(["M"]))
    with pytest.raises(UnknownRuleError, match="T999"):
        resolve_selectors(["T999"])
    with pytest.raises(UnknownRuleError):
        resolve_selectors(["no-such-rule"])


def test_select_then_ignore() -> None:
    codes = {r.code for r in select_rules(["T1"], ["T109", "missing-early-stopping"])}
    assert "T109" not in codes and "T102" not in codes and "T101" in codes


def test_targets_recurse_into_directories_and_skip_virtualenvs(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "train.py").write_text("x = 1\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("")
    targets = collect_targets([tmp_path], static=True)
    assert [t.path.name for t in targets] == ["train.py"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "missing.py", "no such file"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no Python files"),
        (lambda p: (p / "notes.md").write_text("a,b\n") and p / "notes.md", "not a file nncheck"),
    ],
)
def test_bad_targets_raise_a_clear_error(tmp_path: Path, setup, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        collect_targets([setup(tmp_path)], static=True)


def test_violation_fields_reach_the_finding(write_script) -> None:
    path = write_script("x = 1\n")
    rule = _rule("X903", lambda source: [Violation("msg", 1, 2, 3, "do this", "dense_1", {"n": 1})])
    (finding,) = check_targets(collect_targets([path], static=True), [rule]).findings
    assert (finding.line, finding.col, finding.end_line) == (1, 2, 3)
    assert (finding.fix, finding.layer, finding.data) == ("do this", "dense_1", {"n": 1})
