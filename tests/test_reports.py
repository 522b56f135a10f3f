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
    monkeypatch.chdir(ROOT)
    targets = collect_targets([Path("fixtures/demo/train.py")], static=False)
    result = check_targets(targets, select_rules(None, ()))
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
        "failed",
    }
    finding = document["findings"][0]
    assert set(finding) == {"code", "name", "severity", "message", "fix", "location", "tip", "data"}
    assert set(finding["location"]) == {"path", "line", "column", "end_line", "layer"}


def test_colour_goes_to_terminals_only(demo_result) -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    text.write(demo_result, ReportContext("static", color=False), plain)
    text.write(demo_result, ReportContext("static", color=True), coloured)
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert plain.getvalue() == text.render(demo_result, ReportContext("static"))


def test_verbose_lists_skipped_rules_with_reasons(demo_result) -> None:
    from nncheck.engine import Skip

    demo_result.skips.append(Skip("X101", "fixtures/demo/train.py", "needs probes facts"))
    out = text.render(demo_result, ReportContext("static", verbose=True))
    assert "Skipped rules:\n" in out
    assert "\n  X101: needs probes facts\n" in out
