"""--fix, --diff and --unsafe-fixes: each fixable rule's before/after pair, formatting kept,
unsafe fixes held back, files changed since the check left alone, SARIF's fixes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, header
from forked_children import forked_children

from nncheck.cli import main
from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.fixes import plan
from nncheck.registry import all_rules, get_rule

PAIRS = sorted((FIXTURES / "fixes").glob("*_before.py"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _codes(path: Path, args: list[str]) -> list[str]:
    _, out, _ = run(*args, "--format", "json", str(path))
    return [f["code"] for f in json.loads(out)["findings"]]


@pytest.mark.parametrize("before", PAIRS, ids=lambda p: p.stem.removesuffix("_before"))
def test_fix_turns_the_before_fixture_into_the_after_fixture(
    before: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (header(before, "nncheck-fix-args") or "").split()
    script = tmp_path / "train.py"
    shutil.copy(before, script)
    monkeypatch.chdir(tmp_path)
    with forked_children():  # the full-check pair runs its script
        fixable = _codes(script, [a for a in args if a != "--unsafe-fixes"])
        code, out, _ = run(*args, "--fix", "train.py")
        assert code == 0, out
        assert script.read_text(encoding="utf-8") == before.with_name(
            before.name.replace("_before", "_after")
        ).read_text(encoding="utf-8")
        assert fixable
        assert f"--fix fixed {len(fixable)} finding" in out
        assert "No findings in 1 file." in out
        assert _codes(script, [a for a in args if a != "--unsafe-fixes"]) == []


def test_the_pairs_cover_every_rule_that_declares_a_fix() -> None:
    covered = {
        code
        for before in PAIRS
        for arg in (header(before, "nncheck-fix-args") or "").split()
        for code in arg.split(",")
        if code[:1].isupper() and code[1:].isdigit()
    }
    declared = {r.code for r in all_rules() if r.fix}
    assert declared - covered == {"M304"}  # embeddings: the live check only (no static edit)
    assert covered <= declared


def test_unsafe_fixes_are_held_back_without_the_flag(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    shutil.copy(FIXTURES / "fixes" / "t108_batch_size_before.py", script)
    original = script.read_text(encoding="utf-8")
    code, out, _ = run("--static", "--select", "T108", "--fix", str(script))
    assert code == 0
    assert script.read_text(encoding="utf-8") == original
    assert "note: 2 more fixes with --unsafe-fixes" in out
    assert "fix (--unsafe-fixes): batch_size=104  # or 96" in out
    assert get_rule("T108").fix == "unsafe" and get_rule("T104").fix == "safe"


def test_diff_prints_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    shutil.copy(FIXTURES / "fixes" / "t104_monitor_key_before.py", script)
    original = script.read_text(encoding="utf-8")
    code, out, err = run("--static", "--select", "T104", "--diff", str(script))
    assert code == 1
    assert script.read_text(encoding="utf-8") == original
    removed = [line for line in out.splitlines() if line.startswith("-") and "val_acc" in line]
    added = [line for line in out.splitlines() if line.startswith("+") and "val_acc" in line]
    early = '    keras.callbacks.EarlyStopping(monitor="{}", patience=10),  # stop on accuracy'
    best = "    keras.callbacks.ModelCheckpoint(\"best.keras\", '{}', save_best_only=True),"
    assert removed == ["-" + early.format("val_acc"), "-" + best.format("val_acc")]
    assert added == ["+" + early.format("val_accuracy"), "+" + best.format("val_accuracy")]
    assert "Would fix 2 findings." in err
    clean = FIXTURES / "clean" / "tabular_mlp.py"
    assert run("--static", "--diff", str(clean))[0] == 0


def test_a_file_changed_since_the_check_is_not_touched(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    shutil.copy(FIXTURES / "fixes" / "t104_monitor_key_before.py", script)
    result = check_targets(collect_targets([script], static=True), select_rules(["T104"], ()))
    assert len(result.findings) == 2
    script.write_text(script.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    fixes = plan(result.findings, result.source_digests)
    assert fixes.files == []
    assert [why for _, why in fixes.untouched] == [
        "it changed on disk since nncheck read it; run nncheck again"
    ]


def test_an_argument_that_is_not_the_literal_the_rule_saw_is_left(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np\n"
        "import keras\n"
        "keras.utils.set_random_seed(0)\n"
        "PREFIX = 'val_'\n"
        "x, y = np.zeros((64, 4)), np.zeros((64, 1))\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
        "model.compile('adam', 'mse', metrics=['accuracy'])\n"
        "stop = keras.callbacks.EarlyStopping(monitor=PREFIX + 'acc', patience=5)\n"
        "model.fit(x, y, validation_split=0.2, epochs=3, callbacks=[stop])\n",
        encoding="utf-8",
    )
    original = script.read_text(encoding="utf-8")
    with forked_children():  # the full check knows the monitor the source builds
        code, out, _ = run("--select", "T104", "--fix", str(script))
    assert code == 1  # the T104 error is still there
    assert script.read_text(encoding="utf-8") == original
    assert "T104: fix not applied: monitor is not the literal 'val_acc' in the source" in out


def test_notebooks_are_not_edited(tmp_path: Path) -> None:
    notebook = tmp_path / "train.ipynb"
    shutil.copy(FIXTURES / "demo" / "train.ipynb", notebook)
    original = notebook.read_bytes()
    code, out, _ = run("--static", "--select", "T104", "--fix", str(notebook))
    assert code == 1
    assert notebook.read_bytes() == original
    assert "not fixed: notebooks are not edited by --fix; apply the fixes in the cells" in out


def test_sarif_carries_the_fixes_as_replacements() -> None:
    before = FIXTURES / "fixes" / "t109_seed_before.py"
    _, out, _ = run("--static", "--select", "T109,T104", "--format", "sarif", str(before))
    [result] = json.loads(out)["runs"][0]["results"]
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"].endswith("fixes/t109_seed_before.py")
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
            "insertedContent": {"text": "\ntf.keras.utils.set_random_seed(42)\n"},
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fix", "--diff"], "--fix writes the fixes and --diff only shows them: choose one"),
        (["--unsafe-fixes"], "--unsafe-fixes goes with --fix or --diff"),
    ],
)
def test_contradictory_fix_flags_are_one_line_errors(args: list[str], message: str) -> None:
    code, _, err = run("--static", *args, str(PAIRS[0]))
    assert code == 2
    assert err.strip() == f"nncheck: error: {message}"
