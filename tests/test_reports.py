"""Snapshot tests: the exact text a user or a CI system sees is pinned.

Set NNCHECK_UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change, then review
the diff like any other code change.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from conftest import ROOT

from nncheck import __version__
from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.options import RunOptions
from nncheck.reports import ReportContext, json_report, text

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def demo_result(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    targets = collect_targets([Path("fixtures/demo/train.py")], static=True)
    return check_targets(targets, select_rules(None, ()))


def _assert_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("NNCHECK_UPDATE_SNAPSHOTS"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_text_report_snapshot(demo_result) -> None:
    _assert_snapshot("demo_static.txt", text.render(demo_result, ReportContext("static")))


def test_full_check_text_report_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make demo`'s findings (probes included, deterministic under their seed); the probe
    section itself carries timings, so it is checked for its lines, not its numbers."""
    monkeypatch.chdir(ROOT)
    options = RunOptions(probes=True, probe_budget=600)
    targets = collect_targets([Path("fixtures/demo/train.py")], static=False, capture=options)
    result = check_targets(targets, select_rules(None, ()))
    section = text.render(result, ReportContext("full"))
    assert "Probes on fixtures/demo/train.py (" in section and "  overfit 1 batch  " in section
    result.probes, result.notes = {}, []
    _assert_snapshot("demo_full.txt", text.render(result, ReportContext("full")))


def test_json_report_snapshot(demo_result) -> None:
    rendered = json_report.render(demo_result, ReportContext("static"))
    _assert_snapshot("demo_static.json", rendered.replace(__version__, "<version>"))


def test_json_schema_fields(demo_result) -> None:
    document = json.loads(json_report.render(demo_result, ReportContext("static")))
    assert document["schema_version"] == 1
    assert set(document["summary"]) == {
        "files",
        "findings",
        "errors",
        "warnings",
        "infos",
        "suppressed",
        "baselined",
        "failed",
    }
    finding = document["findings"][0]
    assert set(finding) == {"code", "name", "severity", "message", "fix", "location", "tip", "data"}
    assert set(finding["location"]) == {"path", "line", "column", "end_line", "cell", "layer"}


def test_colour_goes_to_terminals_only(demo_result) -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    text.write(demo_result, ReportContext("static", color=False), plain)
    text.write(demo_result, ReportContext("static", color=True), coloured)
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert plain.getvalue() == text.render(demo_result, ReportContext("static"))


def test_verbose_lists_skipped_rules_with_reasons(demo_result) -> None:
    from nncheck.results import Skip

    demo_result.skips.append(Skip("X101", "fixtures/demo/train.py", "needs probes facts"))
    out = text.render(demo_result, ReportContext("static", verbose=True))
    assert "Skipped rules:\n" in out
    assert "\n  X101: needs probes facts\n" in out


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("sarif", "demo_static.sarif"),
        ("junit", "demo_static.xml"),
        ("github", "demo_static.github"),
    ],
)
def test_ci_report_snapshots(demo_result, fmt: str, name: str) -> None:
    from nncheck.reports import render

    rendered = render(fmt, demo_result, ReportContext("static"))
    _assert_snapshot(name, rendered.replace(__version__, "<version>"))


def test_sarif_has_the_fields_github_code_scanning_reads(demo_result) -> None:
    from nncheck.reports import render

    run = json.loads(render("sarif", demo_result, ReportContext("static")))["runs"][0]
    assert json.loads(render("sarif", demo_result, ReportContext("static")))["version"] == "2.1.0"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "fixtures/demo/train.py"
        assert location["region"]["startLine"] >= 1


def test_junit_fails_only_at_or_above_fail_on_and_names_are_unique(demo_result) -> None:
    from xml.etree import ElementTree

    from nncheck.findings import Severity
    from nncheck.reports import render

    for threshold, failures in [(Severity.ERROR, 1), (Severity.WARNING, 7), (None, 0)]:
        xml = render("junit", demo_result, ReportContext("static", fail_threshold=threshold))
        root = ElementTree.fromstring(xml)
        assert len(root.findall(".//failure")) == failures
    keys = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(keys) == len(set(keys)) == 7


def test_github_annotations_escape_their_properties_and_messages() -> None:
    from nncheck.findings import Finding, Severity
    from nncheck.reports import render
    from nncheck.results import RunResult

    finding = Finding(
        "T104", "unknown-monitored-metric", Severity.ERROR, "50% of a\nb", "a,b:c.py", 3
    )
    out = render("github", RunResult(findings=[finding], files=1), ReportContext("static"))
    assert (
        out
        == "::error file=a%2Cb%3Ac.py,line=3,title=T104 unknown-monitored-metric::50%25 of a%0Ab\n"
    )
