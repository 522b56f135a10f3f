"""The engine: lazy facts, skips with reasons, crashing rules, suppression comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncheck.engine import TargetError, check_targets, collect_targets, select_rules
from nncheck.facts import FactStore, FactUnavailable, Target
from nncheck.facts.probe_results import LrRange, Stopped
from nncheck.findings import Severity, Violation
from nncheck.registry import Rule, UnknownRuleError, resolve_selectors, rule

SCRIPT = """\
import keras
from keras import layers
model = keras.Sequential([keras.Input((4,)), layers.Dense(50), layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y, epochs=5)
"""


def _rule(code: str, func) -> Rule:
    """A rule with one implementation: ``func``, whose parameters are the facts it needs."""
    return rule(
        code=code,
        name=f"test-rule-{code.lower()}",
        severity=Severity.WARNING,
        summary="test",
        doc="test",
        implementations=(func,),
    )


PROVIDER_CALLS: list[str] = []


def counting_provider(store: FactStore) -> dict[str, str]:
    PROVIDER_CALLS.append(store.target.display_path)
    return {"built": store.target.display_path}


def test_each_fact_kind_is_built_once_per_target(tmp_path: Path) -> None:
    PROVIDER_CALLS.clear()
    target = Target(path=tmp_path / "t.py", display_path="t.py")
    store = FactStore(target, providers={"source": "test_engine:counting_provider"})
    assert store.get("source") is store.get("source")
    assert PROVIDER_CALLS == ["t.py"]


def test_static_mode_skips_rules_that_need_other_facts_with_the_reason(write_script) -> None:
    path = write_script(SCRIPT)
    needs_model = _rule("X901", lambda model: [])
    result = check_targets(collect_targets([path], static=True), [needs_model])
    assert result.findings == []
    (skip,) = result.skips
    assert skip.code == "X901" and "--static reads the source only" in skip.reason


def test_unavailable_facts_are_remembered_not_rebuilt(tmp_path: Path) -> None:
    store = FactStore(
        Target(path=tmp_path / "t.py", display_path="t.py", static=False), providers={}
    )
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
        "model = keras.Sequential([layers.Dense(50), layers.Dense(1)])  # nncheck: ignore\n"
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


def test_a_superseding_rule_that_fires_replaces_the_other_among_the_selected_rules() -> None:
    from nncheck.engine import check_facts
    from nncheck.facts.live import ModelFacts, ProbeFacts, ProbeResult, Site, TrainFacts
    from nncheck.facts.source import SourceFacts

    sweep = ProbeResult(
        "lr_range",
        values=LrRange(rates=[1e-7, 1.0], losses=[0.7, 0.6], suggested=1e-3, diverged_at=1e-2),
    )
    facts = {
        "model": ModelFacts("m", "Sequential", optimizer="Adam", learning_rate=0.05),
        "train": TrainFacts(entry="fit", site=Site("train.py", 5)),
        "source": SourceFacts.from_text("import keras\n", "train.py"),
        "probes": ProbeFacts(results=[sweep]),
    }
    target = Target(path=Path("train.py"), display_path="train.py", static=False)

    def codes(select: list[str], options: dict | None = None) -> list[str]:
        result = check_facts(target, facts, select_rules(select, ()), options)
        return [f.code for f in result.findings]

    assert codes(["T101", "X107"]) == ["X107"]  # one problem, said once, with the measurement
    assert codes(["T101"]) == ["T101"]  # X107 not selected: T101 speaks
    assert codes(["X107"]) == ["X107"]
    # X107 does not read T101's range: widening it changes nothing for X107
    wide = {"T101": {"adaptive-max": 1.0}}
    assert codes(["T101", "X107"], wide) == ["X107"]
    assert codes(["T101"], wide) == []


def test_a_crashed_probe_is_e005_and_a_probe_stopped_by_the_budget_is_e007() -> None:
    from nncheck.engine import check_facts
    from nncheck.facts.live import ProbeFacts, ProbeResult

    results = [
        ProbeResult("loss_at_init", status="crashed", reason="TypeError: boom (in x.py:1, f)"),
        ProbeResult(
            "overfit",
            status="over_budget",
            reason="the single-batch overfit reached step 100 of 400",
            seconds=10.0,
            values=Stopped(0.25),
        ),
        ProbeResult("lr_range", status="not_run", reason="the probe budget was spent"),
    ]
    target = Target(path=Path("train.py"), display_path="train.py", static=False)
    probes = ProbeFacts(results=results, budget=20)
    found = check_facts(target, {"probes": probes}, select_rules(["X1"], ())).findings
    assert [f.code for f in found] == ["E005", "E007"]
    assert found[0].message == (
        "probe 'loss at init' crashed: TypeError: boom (in x.py:1, f); please report this "
        "with the script that triggers it"
    )
    assert found[1].message == (
        "the probes reached --probe-budget 20 s in 'overfit 1 batch' (the single-batch "
        "overfit reached step 100 of 400); not run: LR range: their findings are incomplete"
    )
    assert found[1].fix == "--probe-budget 90"
