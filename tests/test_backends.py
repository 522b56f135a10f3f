"""Keras 3 on every backend: the script's own choice of backend holds, and the capture and
every probe run on TensorFlow, JAX and torch alike.

These run the real command (a fresh interpreter per script): the fork server the fixture
tests use has TensorFlow's Keras imported already, so it cannot show a backend choice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

NNCHECK = str(Path(sys.executable).with_name("nncheck"))
TEMPLATE = FIXTURES / "backends" / "clean_script_picks_backend.py"
BACKENDS = ["tensorflow", "jax", "torch"]
# every probe that can run without a GPU
CPU_PROBES = {
    "loss_at_init",
    "gradients",
    "dead_units",
    "overfit",
    "lr_range",
    "checkpoint",
    "memory",
    "throughput",
}


def _check(script: Path, env: dict[str, str] | None = None) -> dict:
    completed = subprocess.run(
        [NNCHECK, "-q", "--format", "json", script.name],
        cwd=script.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_script_choice_of_backend_holds_and_every_probe_runs(
    backend: str, tmp_path: Path
) -> None:
    pytest.importorskip(backend)
    script = tmp_path / "train.py"
    script.write_text(TEMPLATE.read_text(encoding="utf-8").replace("@@", backend))
    report = _check(script)
    assert report["findings"] == []
    [probes] = report["probes"].values()
    assert probes["backend"] == backend
    ran = {result["name"] for result in probes["results"] if result["status"] == "ok"}
    assert ran == CPU_PROBES
    assert probes["fingerprint"] == probes["twin_fingerprint"]  # the script seeds


def test_the_environment_choice_of_backend_holds(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    script = tmp_path / "train.py"
    text = TEMPLATE.read_text(encoding="utf-8")
    script.write_text(text.replace('os.environ["KERAS_BACKEND"] = "@@"', "pass"))
    [probes] = _check(script, {**os.environ, "KERAS_BACKEND": "jax"})["probes"].values()
    assert probes["backend"] == "jax"


SEEDS_BEFORE_KERAS = """\
import random

import numpy as np

random.seed(5)
np.random.seed(5)

import keras
import tensorflow as tf

tf.random.set_seed(5)
"""


@pytest.mark.parametrize("seeded", [True, False], ids=["seeded", "unseeded"])
def test_seeds_set_before_importing_keras_are_the_script_own(seeded: bool, tmp_path: Path) -> None:
    """The pre-seed that makes an unseeded script's probes deterministic must not replace
    the seeds a script set before importing Keras: two runs then build the same weights.
    Without those seeds, the two runs (pre-seeded differently) build different ones."""
    text = TEMPLATE.read_text(encoding="utf-8")
    head, body = text.split("keras.utils.set_random_seed(3)\n")
    head = head.replace('os.environ["KERAS_BACKEND"] = "@@"', "pass")
    seeds = SEEDS_BEFORE_KERAS if seeded else SEEDS_BEFORE_KERAS.replace("seed(5)", "seed")
    script = tmp_path / "train.py"
    script.write_text(head + seeds + body)
    [probes] = _check(script)["probes"].values()
    assert (probes["fingerprint"] == probes["twin_fingerprint"]) is seeded


def test_a_script_that_looks_keras_up_before_importing_it_is_captured(tmp_path: Path) -> None:
    """importlib.util.find_spec("keras") only looks the package up (libraries do it to
    test for an optional dependency): the adapter still installs at the real import."""
    script = tmp_path / "train.py"
    text = TEMPLATE.read_text(encoding="utf-8")
    lookup = 'import importlib.util\n\nassert importlib.util.find_spec("keras") is not None\n'
    script.write_text(text.replace('os.environ["KERAS_BACKEND"] = "@@"', lookup))
    report = _check(script)
    assert report["findings"] == []
    [probes] = report["probes"].values()
    assert probes["backend"] == "tensorflow"
