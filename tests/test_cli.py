"""The command line as users and CI meet it: exit codes, selection, config, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from nncheck.cli import main

DEMO = FIXTURES / "demo" / "train.py"
CLEAN = FIXTURES / "clean" / "tabular_mlp.py"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_clean_script_exits_0() -> None:
    code, out, _ = run("--static", str(CLEAN))
    assert code == 0
    assert out.strip().endswith("No findings in 1 file.")


def test_errors_exit_1_by_default_and_warnings_do_not() -> None:
    assert run("--static", str(DEMO))[0] == 1  # T104 is an error
    assert run("--static", "--ignore", "T104", str(DEMO))[0] == 0
    assert run("--static", "--ignore", "T104", "--fail-on", "warning", str(DEMO))[0] == 1
    assert run("--static", "--fail-on", "never", str(DEMO))[0] == 0


def test_exit_zero_hides_findings_but_never_a_failure(tmp_path: Path) -> None:
    assert run("--static", "--exit-zero", str(DEMO))[0] == 0
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    code, out, _ = run("--static", "--exit-zero", str(broken))
    assert code == 2
    assert "E001" in out


def test_the_check_subcommand_is_the_default() -> None:
    assert run("check", "--static", str(CLEAN))[0] == run("--static", str(CLEAN))[0] == 0


def test_select_by_name_and_comma_separated_lists() -> None:
    code, out, _ = run(
        "--static", "--format", "json", "--select", "missing-random-seed,T108", str(DEMO)
    )
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert codes == {"T109", "T108"}
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--static", "--select", "T999", str(CLEAN)], "Unknown rule selector 'T999'"),
        (["--static", "missing_file.py"], "missing_file.py: no such file or directory"),
        (["--static"], "no path given"),
        (["explain", "nope"], "Unknown rule 'nope'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("nncheck: error: ")
    assert message in err
    assert "Traceback" not in out + err


def test_non_python_file_and_empty_directory(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a,b\n1,2\n")
    (tmp_path / "empty").mkdir()
    code, _, err = run("--static", str(notes))
    assert code == 2 and "not a file nncheck checks (a training script *.py" in err
    code, _, err = run("--static", str(tmp_path / "empty"))
    assert code == 2 and "no Python files found" in err


def test_unreadable_file_is_e001(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = '\xff\xfe'\n")
    code, out, _ = run("--static", str(path))
    assert code == 2 and "E001" in out and "cannot read the file" in out


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(table))
    script = tmp_path / "src" / "train.py"
    script.parent.mkdir()
    script.write_text(DEMO.read_text())
    return script


def test_pyproject_settings_apply_and_the_command_line_overrides_them(tmp_path: Path) -> None:
    script = _project(tmp_path, '[tool.nncheck]\nignore = ["T104", "M3"]\nfail-on = "warning"\n')
    code, out, _ = run("--static", "--format", "json", str(script))
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "T104" not in codes and "M301" not in codes and "T109" in codes
    assert code == 1  # fail-on = warning
    assert run("--static", "--fail-on", "error", str(script))[0] == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.nncheck]\nselct = ['T1']\n", "unknown key [tool.nncheck] 'selct'"),
        ("[tool.nncheck]\nselect = 'T1\n", "not valid TOML"),
        ("[tool.nncheck]\nfail-on = 'sometimes'\n", "fail-on must be one of"),
        ("[tool.nncheck]\nignore = [1, 2]\n", "ignore must be a list of strings"),
        ("[tool.nncheck]\nselect = ['Z9']\n", "Unknown rule selector 'Z9'"),
        ("[tool.nncheck]\nmax-samples = 1.5\n", "max-samples must be an integer >= 1"),
        ("[tool.nncheck]\ntimeout = 0\n", "timeout must be a number >= 1"),
        ("[tool.nncheck.options]\nT101 = { adam-max = 1 }\n", "T101 has no option 'adam-max'"),
    ],
)
def test_malformed_config_is_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    script = _project(tmp_path, table)
    code, _, err = run("--static", str(script))
    assert code == 2
    assert message in err


def test_rules_lists_every_rule_with_its_metadata() -> None:
    code, out, _ = run("rules", "--format", "json")
    rows = {row["code"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["T109"]["name"] == "missing-random-seed"
    assert rows["T109"]["needs"][-1] == ["source"] and rows["T109"]["tip"] == 3
    assert rows["E001"]["family"] == "nncheck's own run"
    code, out, _ = run("rules")
    assert "T102  missing-early-stopping" in out


def test_explain_by_code_and_by_name_prints_the_documentation() -> None:
    by_code = run("explain", "T104")
    by_name = run("explain", "unknown-monitored-metric")
    assert by_code == by_name
    assert by_code[0] == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in by_code[1]


def test_static_run_never_imports_a_framework() -> None:
    program = textwrap.dedent(
        f"""
        import sys
        from nncheck.cli import main
        try:
            main(["--static", "--format", "json", {str(FIXTURES)!r}])
        except SystemExit:
            pass
        loaded = sorted(m for m in ("tensorflow", "keras", "torch", "jax") if m in sys.modules)
        sys.stderr.write("LOADED=" + ",".join(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert "LOADED=" in proc.stderr
    assert proc.stderr.rsplit("LOADED=", 1)[1] == ""
    assert json.loads(proc.stdout)["summary"]["files"] > 40


def test_console_script_runs() -> None:
    exe = Path(sys.executable).with_name("nncheck")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("nncheck, version")


def test_rule_options_from_pyproject_change_the_judgement(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text((FIXTURES / "static" / "t102_missing_early_stopping.py").read_text())
    assert "T102" in run("--static", str(script))[1]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nncheck.options]\nmissing-early-stopping = { min-epochs = 100 }\n"
    )
    assert "T102" not in run("--static", str(script))[1]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.nncheck.options]\nT102 = { min-epoch = 3 }\n", "T102 has no option 'min-epoch'"),
        ("[tool.nncheck.options]\nT102 = { min-epochs = 'ten' }\n", "must be an integer"),
        ("[tool.nncheck.options]\nT102 = { min-epochs = 2.5 }\n", "must be an integer"),
        ("[tool.nncheck.options]\nX999 = { a = 1 }\n", "Unknown rule 'X999'"),
    ],
)
def test_bad_rule_options_are_clear_errors(tmp_path: Path, table: str, message: str) -> None:
    script = _project(tmp_path, table)
    code, _, err = run("--static", str(script))
    assert code == 2 and message in err


def test_an_option_on_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text((FIXTURES / "static" / "t102_missing_early_stopping.py").read_text())
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nncheck.options]\nmissing-early-stopping = { min-epochs = 100 }\n"
    )
    assert "T102" not in run("--static", str(script))[1]
    code, out, _ = run("--static", str(script), "--option", "T102.min-epochs=2")
    assert code == 0 and "T102 [warning]" in out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("T102=3", "--option expects CODE.NAME=VALUE, e.g. T102.min-epochs=20: 'T102=3'"),
        ("T102.min-epochs=ten", "--option T102.min-epochs must be a number: 'ten'"),
        ("T102.min-epochs=2.5", "--option T102.min-epochs must be an integer: 2.5"),
        ("T102.min-epoch=3", "--option T102 has no option 'min-epoch' (options: min-epochs)"),
    ],
)
def test_bad_command_line_options_are_one_line_errors(option: str, message: str) -> None:
    code, _, err = run("--static", str(FIXTURES / "demo" / "train.py"), "--option", option)
    assert (code, err.strip()) == (2, f"nncheck: error: {message}")


def test_explain_lists_the_rule_options_with_defaults() -> None:
    out = run("explain", "D101")[1]
    assert "- minority-fair-share = 0.2" in out


def test_output_writes_the_report_and_the_terminal_gets_the_summary(tmp_path: Path) -> None:
    report = tmp_path / "nncheck.sarif"
    code, out, _ = run("--static", "--format", "sarif", "--output", str(report), str(DEMO))
    assert code == 1
    assert out == "Found 7 findings in 1 file: 1 error, 6 warnings.\n"
    assert json.loads(report.read_text())["version"] == "2.1.0"


def test_per_file_ignores_and_severity_overrides(tmp_path: Path) -> None:
    for folder in ("experiments", "src"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "train.py").write_text(
            (FIXTURES / "static" / "t109_missing_seed.py").read_text()
        )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nncheck.per-file-ignores]\n"experiments/*.py" = ["missing-random-seed"]\n'
        '[tool.nncheck.severity]\nT109 = "error"\n'
    )
    code, out, _ = run(
        "--static", "--format", "json", str(tmp_path / "experiments"), str(tmp_path / "src")
    )
    findings = json.loads(out)["findings"]
    assert [
        (Path(f["location"]["path"]).parent.name, f["code"], f["severity"]) for f in findings
    ] == [("src", "T109", "error")]
    assert code == 1  # T109 is an error now


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.nncheck.severity]\nT109 = "fatal"\n', "must be one of error, warning, info"),
        ('[tool.nncheck.per-file-ignores]\n"a/*.py" = ["T9"]\n', "Unknown rule selector 'T9'"),
    ],
)
def test_bad_overrides_are_clear_errors(tmp_path: Path, table: str, message: str) -> None:
    script = _project(tmp_path, table)
    code, _, err = run("--static", str(script))
    assert code == 2 and message in err


def test_config_command_prints_values_and_their_origin(tmp_path: Path) -> None:
    _project(tmp_path, '[tool.nncheck]\nignore = ["T109"]\n')
    code, out, _ = run("config", str(tmp_path))
    assert code == 0
    assert f"config file: {tmp_path / 'pyproject.toml'}" in out
    assert f"ignore = ('T109',)  ({tmp_path / 'pyproject.toml'})" in out
    assert "fail-on = 'error'  (default)" in out


def test_limits_come_from_config_and_the_command_line_wins(tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    _project(tmp_path, "[tool.nncheck]\ntimeout = 600\nmax-samples = 2000\nprobe-budget = 30\n")
    code, out, _ = run("config", str(tmp_path))
    assert code == 0
    assert f"timeout = 600.0  ({config})" in out and f"max-samples = 2000  ({config})" in out
    assert f"probe-budget = 30.0  ({config})" in out and "seed = 0  (default)" in out
