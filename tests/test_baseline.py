"""Baselines: recorded findings stop failing the run; new ones still do; lines may move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, expected_codes

from nncheck import baseline
from nncheck.cli import main
from nncheck.findings import Finding, Severity

DEMO = FIXTURES / "demo" / "train.py"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(DEMO, tmp_path / "train.py")
    return tmp_path


def test_baselined_findings_no_longer_fail(project: Path) -> None:
    script, base = project / "train.py", project / "nncheck-baseline.json"
    code, out, _ = run("--static", str(script), "--write-baseline", str(base))
    recorded = json.loads(base.read_text())["findings"]
    assert code == 0
    assert out.strip() == f"nncheck: recorded {len(recorded)} findings in {base}"
    assert {e["code"] for e in recorded} == expected_codes(DEMO)
    code, out, _ = run("--static", str(script), "--baseline", str(base))
    assert code == 0
    assert out.strip() == f"No findings in 1 file ({len(recorded)} in the baseline)."


def test_moving_lines_keeps_findings_known_and_editing_one_makes_it_new(project: Path) -> None:
    script, base = project / "train.py", project / "base.json"
    run("--static", str(script), "--write-baseline", str(base))
    source = script.read_text()
    script.write_text("# a header comment\n\n\n" + source)
    assert run("--static", str(script), "--baseline", str(base))[0] == 0
    script.write_text(source.replace("Dense(50,", "Dense(70,"))
    code, out, _ = run("--static", str(script), "--baseline", str(base), "--format", "json")
    report = json.loads(out)
    assert [(f["code"], f["location"]["line"]) for f in report["findings"]] == [("M301", 36)]
    assert report["summary"]["baselined"] == len(json.loads(base.read_text())["findings"]) - 1
    assert code == 0  # a warning; the default --fail-on is error


def test_a_new_error_fails_the_gate(project: Path) -> None:
    script, base = project / "train.py", project / "base.json"
    run("--static", "--ignore", "T104", str(script), "--write-baseline", str(base))
    code, out, _ = run("--static", str(script), "--baseline", str(base))
    assert code == 1
    assert "T104" in out and "M301" not in out


def test_counts_matter_a_third_copy_is_new() -> None:
    finding = Finding("M301", "tensor-core-dense", Severity.WARNING, "Dense with 100 units", "x.py")
    root = Path.cwd()
    known = baseline.Baseline(
        root, baseline.Counter(k for k, _ in baseline.keys([finding] * 2, root))
    )
    new, matched = known.new_findings([finding] * 3)
    assert (len(new), matched) == (1, 2)


def test_numbers_in_messages_do_not_make_a_finding_new() -> None:
    first = Finding("X102", "loss-at-init", Severity.WARNING, "loss 4.31 is 1.9x", "x.py")
    second = Finding("X102", "loss-at-init", Severity.WARNING, "loss 4.35 is 1.8x", "x.py")
    assert baseline.signature(first, "") == baseline.signature(second, "")
    other = Finding("X102", "loss-at-init", Severity.WARNING, "loss 4.31 is 1.9x low", "x.py")
    assert baseline.signature(first, "") != baseline.signature(other, "")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"format": "nncheck-baseline", "version": 7, "nncheck": "9.0", "findings": []}',
            "baseline format 7 (written by nncheck 9.0)",
        ),
        ("not json", "not a readable nncheck baseline"),
        ('{"format": "something-else"}', "not an nncheck baseline file"),
        (
            '{"format": "nncheck-baseline", "version": 1, "findings": [{"code": "M301"}]}',
            "malformed baseline entry",
        ),
    ],
)
def test_unusable_baselines_exit_2_with_one_line(
    project: Path, content: str, expected: str
) -> None:
    base = project / "base.json"
    base.write_text(content)
    code, _, err = run("--static", str(project / "train.py"), "--baseline", str(base))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_missing_baseline_and_combined_options_exit_2(project: Path) -> None:
    script = str(project / "train.py")
    code, _, err = run("--static", script, "--baseline", str(project / "none.json"))
    assert code == 2 and "no such baseline file" in err
    code, _, err = run("--static", script, "--baseline", "a.json", "--write-baseline", "b.json")
    assert code == 2 and "do not combine" in err
