"""The full check's capture: a child process per script, cleaned up whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.options import RunOptions

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
    targets = collect_targets([path], static=False, capture=RunOptions(**options))
    result = check_targets(targets, select_rules(None, ()))
    return {f.code for f in result.findings}, result.findings


def test_script_arguments_after_double_dash_reach_the_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAINS_WHEN_ASKED)
    assert _codes(script)[0] == {"E004"}
    assert _codes(script, script_args=("--train",))[0] == set()


def _hanging_script(directory: Path) -> tuple[Path, Path]:
    """A script that starts a grandchild, records its pid (one line per run of the script),
    and hangs; Keras is imported after, so the pid is written as early as possible."""
    pids = directory / "grandchildren.txt"
    script = directory / "hang.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import subprocess, time
            child = subprocess.Popen(["sleep", "300"])
            with open({str(pids)!r}, "a") as handle:
                handle.write(f"{{child.pid}}\\n")
            import keras
            time.sleep(300)
            """
        )
    )
    return script, pids


def _wait_for_lines(path: Path, count: int, deadline_s: float = 180.0) -> list[int]:
    """Poll until ``path`` has ``count`` lines (a generous deadline: the machine may be busy)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if path.exists():
            lines = path.read_text().split()
            if len(lines) >= count:
                return [int(line) for line in lines]
        time.sleep(0.1)
    raise AssertionError(f"{path} did not get {count} lines within {deadline_s:g} s")


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or _is_zombie(pid)


def test_a_hung_script_is_stopped_with_its_children_and_leaves_nothing(tmp_path: Path) -> None:
    script, pids = _hanging_script(tmp_path)
    before = _temp_dirs()
    # The limit counts from the child's start: generous enough for the script to have run
    # its first lines on a busy machine, the grandchild's pid is then on disk.
    codes, findings = _codes(script, timeout=40)
    assert codes == {"E003"}
    assert "within 40 s" in findings[0].message
    grandchild = _wait_for_lines(pids, 1, deadline_s=1)[0]
    assert _gone(grandchild)
    assert _temp_dirs() == before


@pytest.mark.parametrize(
    ("signum", "exit_code", "probes"),
    [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
    ids=["sigterm", "sigint-with-probes-twin"],
)
def test_a_signal_stops_nncheck_with_every_child_and_temp_dir(
    tmp_path: Path, signum: int, exit_code: int, probes: bool
) -> None:
    script, pids = _hanging_script(tmp_path)
    before = _temp_dirs()
    command = [NNCHECK, str(script), "--timeout", "300", "--quiet"]
    if not probes:
        command.append("--no-probes")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        grandchildren = _wait_for_lines(pids, 2 if probes else 1)  # the twin runs it too
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == exit_code
    assert stderr.startswith("nncheck: ") and "removed its files" in stderr
    end = time.monotonic() + 30  # the kernel reaps a killed group at its own pace
    while not all(_gone(pid) for pid in grandchildren) and time.monotonic() < end:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in grandchildren)
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


def test_probes_out_of_budget_say_so_loudly_and_the_capture_stands() -> None:
    from nncheck.facts.capture import run_child

    script = FIXTURES / "live" / "clean_regression.py"
    result = run_child(script, RunOptions(probes=True, probe_budget=0))
    assert result.status == "captured" and result.model is not None
    assert result.probes is not None
    statuses = [r.status for r in result.probes.results]
    # the first probe that checks the limit stops; the ones after it do not run
    stopped = statuses.index("over_budget")
    assert set(statuses[:stopped]) <= {"ok", "skipped"}
    assert set(statuses[stopped + 1 :]) == {"not_run"}
    targets = collect_targets([script], False, RunOptions(probes=True, probe_budget=0))
    findings = check_targets(targets, select_rules(None, ())).findings
    assert [f.code for f in findings] == ["E007"]  # nothing guessed, nothing dropped
    assert "reached --probe-budget 0 s in 'overfit 1 batch'" in findings[0].message
    assert findings[0].fix is not None and findings[0].fix.startswith("--probe-budget ")


# A binary classifier on 96 samples; the scripts below differ in how they reach fit().
SETUP = """\
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(96, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
"""


def _capture(path: Path, **options):
    from nncheck.facts import FactStore

    (target,) = collect_targets([path], static=False, capture=RunOptions(**options))
    return FactStore(target).get("capture")


@pytest.mark.parametrize(
    "training",
    [
        # an autologging-style wrapper of the backend's own fit, with functools.wraps
        "import functools\n"
        "real = type(model).__mro__[2].fit\n"
        "@functools.wraps(real)\n"
        "def logged(self, *args, **kwargs):\n"
        "    return real(self, *args, **kwargs)\n"
        "keras.Model.fit = logged\n"
        "model.fit(x, y, batch_size=16, epochs=2)\n",
        # a decorator without functools.wraps, on keras.Model.fit itself
        "original = keras.Model.fit\n"
        "def logged(self, *args, **kwargs):\n"
        "    return original(self, *args, **kwargs)\n"
        "keras.Model.fit = logged\n"
        "model.fit(x, y, batch_size=16, epochs=2)\n",
    ],
    ids=["wrapped-backend-fit", "wrapped-model-fit"],
)
def test_a_wrapped_fit_still_shows_its_data(write_script, training: str) -> None:
    capture = _capture(write_script(SETUP + training))
    assert capture.train.entry == "fit"
    assert (capture.data.samples, capture.train.batch_size) == (96, 16)


def test_fit_through_a_subclass_and_another_module_is_captured(write_script) -> None:
    write_script(
        "def train(model, x, y):\n    return model.fit(x, y, batch_size=8, verbose=0)\n",
        "helpers/training.py",
    )
    write_script("", "helpers/__init__.py")
    subclass = SETUP.replace(
        "model = keras.Sequential(",
        "class Logged(keras.Sequential):\n"
        "    def fit(self, *args, **kwargs):\n"
        "        return super().fit(*args, **kwargs)\n"
        "model = Logged(",
    )
    capture = _capture(
        write_script(subclass + "from helpers.training import train\ntrain(model, x, y)\n")
    )
    assert capture.train.entry == "fit"
    assert (capture.data.samples, capture.train.batch_size) == (96, 8)
    assert capture.train.site.path.endswith("training.py") and capture.train.site.line == 2


TWO_FITS = SETUP + (
    "model.fit(x, y, batch_size=32, epochs=1, verbose=0)\n"
    "model.compile(optimizer=keras.optimizers.SGD(1e-4), loss='binary_crossentropy')\n"
    "model.fit(x, y, batch_size=8, epochs=1, verbose=0)\n"
)


def test_fit_call_picks_which_fit_is_checked_and_the_report_says_which(write_script) -> None:
    script = write_script(TWO_FITS)
    first = check_targets(collect_targets([script], False, RunOptions()), select_rules(None, ()))
    assert first.notes == [
        f"{script} calls fit() at lines 9, 11: nncheck checked the first call at line 9; "
        "--fit-call N checks another (the earlier ones then train as written)"
    ]
    second_run = check_targets(
        collect_targets([script], False, RunOptions(fit_call=2)), select_rules(None, ())
    )
    assert second_run.notes == [
        f"{script} calls fit() at lines 9, 11: nncheck checked fit() call 2 at line 11 "
        "(the earlier ones trained as written); --fit-call N checks another"
    ]
    second = _capture(script, fit_call=2)
    assert (second.train.batch_size, second.train.site.line) == (8, 11)
    assert second.model.optimizer == "SGD"
    codes, findings = _codes(script, fit_call=3)
    assert codes == {"E004"}
    assert findings[0].message == (
        "--fit-call 3 asks for the script's fit() call number 3, but it called fit() twice "
        "and ended"
    )


def test_keras_2_through_tf_keras_is_refused_in_a_sentence(write_script) -> None:
    # a stand-in package named tf_keras next to the script: what TF_USE_LEGACY_KERAS=1 imports
    write_script(
        "raise AssertionError('nncheck must stop before tf_keras runs')\n", "tf_keras/__init__.py"
    )
    script = write_script(
        "import tf_keras as keras\n\nkeras.utils.set_random_seed(0)\nkeras.Sequential().fit()\n"
    )
    codes, findings = _codes(script)
    assert codes == {"E004"}
    assert findings[0].message.startswith("the script trains with Keras 2 (it imports tf_keras")
    # a script that only tries tf_keras and falls back to Keras 3 is checked as usual
    fallback = write_script(
        "try:\n    import tf_keras\nexcept ImportError:\n    pass\n" + SETUP + "model.fit(x, y)\n",
        "fallback/train.py",
    )
    assert _capture(fallback).train.entry == "fit"


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        # 100 rows of 4 float32 features and a float32 label in 10 batches: 10 x 200 bytes
        ("tf.data.Dataset.from_tensor_slices((x[:100], y[:100])).batch(10)", 2000),
        # a filter: tf.data cannot know how many elements one pass yields
        ("tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: b > 0).batch(10)", None),
        ("tf.data.Dataset.from_tensor_slices((x, y)).batch(10).repeat()", None),  # infinite
    ],
    ids=["finite", "filtered", "repeated"],
)
def test_one_pass_of_a_dataset_is_measured_when_tf_data_knows_its_length(
    write_script, pipeline: str, expected: int | None
) -> None:
    fit = "steps_per_epoch=3, " if "repeat" in pipeline else ""
    script = SETUP.replace("import keras\n", "import keras\nimport tensorflow as tf\n")
    capture = _capture(write_script(f"{script}model.fit({pipeline}, {fit}epochs=2)\n"))
    assert capture.data.source == "dataset"
    assert capture.data.pass_bytes == expected
