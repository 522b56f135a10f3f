"""The full check's capture: a child process per script, cleaned up whatever happens."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from conftest import FIXTURES

from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.facts import CaptureOptions

NNCHECK = str(Path(sys.executable).with_name("nncheck"))
TRAINS_WHEN_ASKED = """\
import sys
import keras
import numpy as np

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
if "--train" in sys.argv:
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model.fit(x, (x[:, 0] > 0).astype("float32"), epochs=2)
"""


def _temp_dirs() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("nncheck-")}


def _codes(path: Path, **options) -> tuple[set[str], list]:
    targets = collect_targets([path], static=False, capture=CaptureOptions(**options))
    result = check_targets(targets, select_rules(None, ()))
    return {f.code for f in result.findings}, result.findings


def test_script_arguments_after_double_dash_reach_the_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAINS_WHEN_ASKED)
    assert _codes(script)[0] == {"E004"}
    assert _codes(script, script_args=("--train",))[0] == set()


def test_a_hung_script_is_stopped_with_its_children_and_leaves_nothing(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "hang.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import subprocess, time
            import keras
            child = subprocess.Popen(["sleep", "300"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            time.sleep(300)
            """
        )
    )
    before = _temp_dirs()
    codes, findings = _codes(script, timeout=6)
    assert codes == {"E003"}
    assert "within 6 s" in findings[0].message
    grandchild = int(pid_file.read_text())
    assert not Path(f"/proc/{grandchild}").exists() or _is_zombie(grandchild)
    assert _temp_dirs() == before


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_an_error_in_a_user_module_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "data.py").write_text("def load():\n    raise ValueError('no rows in data.csv')\n")
    script = tmp_path / "train.py"
    script.write_text("import keras\nfrom data import load\n\nx = load()\n")
    codes, findings = _codes(script)
    assert codes == {"E002"}
    assert "ValueError: no rows in data.csv" in findings[0].message
    assert "data.py:2" in findings[0].message


def test_the_full_check_leaves_the_users_tree_as_it_was(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAINS_WHEN_ASKED)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    _codes(script, script_args=("--train",))
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_only_named_scripts_run_in_a_full_check(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "train.py").write_text(TRAINS_WHEN_ASKED)
    targets = collect_targets([tmp_path], static=False)
    result = check_targets(targets, select_rules(["D101"], ()))
    assert result.findings == []
    assert "named on the command line" in result.skips[0].reason


def test_command_line_full_check_is_quiet_on_stderr_and_reports_live_findings() -> None:
    proc = subprocess.run(
        [NNCHECK, str(FIXTURES / "live" / "d105_nan_features.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""  # no TensorFlow start-up noise
    assert "D105 [error]" in proc.stdout


def test_an_uncompiled_model_and_empty_data_are_clear_errors(tmp_path: Path) -> None:
    head = "import keras\nimport numpy as np\nkeras.utils.set_random_seed(0)\n"
    model = "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
    uncompiled = tmp_path / "uncompiled.py"
    uncompiled.write_text(head + model + "model.fit(np.zeros((8, 4)), np.zeros(8))\n")
    empty = tmp_path / "empty.py"
    empty.write_text(
        head + model + "model.compile('adam', 'mse')\nmodel.fit(np.zeros((0, 4)), np.zeros(0))\n"
    )
    codes, findings = _codes(uncompiled)
    assert codes == {"E002"} and "not compiled" in findings[0].message
    assert findings[0].line == 5
    codes, findings = _codes(empty)
    assert codes == {"E002"} and "training data is empty" in findings[0].message


def test_probes_out_of_budget_say_so_and_the_capture_stands() -> None:
    from nncheck.facts.capture import run_child

    script = FIXTURES / "live" / "clean_regression.py"
    result = run_child(script, CaptureOptions(probes=True, probe_budget=0))
    assert result.status == "captured" and result.model is not None
    assert result.probes is not None
    statuses = {r.name: (r.status, r.reason) for r in result.probes.results}
    assert set(statuses.values()) == {
        ("incomplete", "the probe budget was spent before this probe")
    }
    targets = collect_targets([script], False, CaptureOptions(probes=True, probe_budget=0))
    assert check_targets(targets, select_rules(None, ())).findings == []  # nothing guessed
