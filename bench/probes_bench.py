"""Probe figures for the closing note: each probe's time, all probes vs one real epoch.

    python bench/probes_bench.py [--runs N] [--budget SECONDS]

For each clean fixture below, medians over N runs (shared machines are noisy):
- each probe's wall time and all probes together, as the child measured them;
- one real training epoch of the same script (fit() forced to epochs=1, the first epoch,
  graph tracing included, as the run would pay it), timed in its own process;
- the ratio of the two, and the device the probes ran on (CPU here; a GPU where lent).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = [
    "fixtures/demo/train_fixed.py",
    "fixtures/live/clean_tabular_mlp.py",
    "fixtures/live/clean_multilabel.py",
    "fixtures/live/clean_regression.py",
    "fixtures/live/clean_text_embedding.py",
    "fixtures/live/clean_tf_data_pipeline.py",
    "fixtures/live/clean_generator_input.py",
    "fixtures/live/clean_cnn_uint8_rescaling.py",
]
ONE_EPOCH = """
import os, runpy, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
original = keras.Model.fit
def fit(self, *args, **kwargs):
    kwargs.update(epochs=1, verbose=0)
    start = time.perf_counter()
    original(self, *args, **kwargs)
    print(f"EPOCH {time.perf_counter() - start:.4f}", file=sys.stderr)
    raise SystemExit(0)
keras.Model.fit = fit
script = sys.argv[1]
os.chdir(os.path.dirname(script))
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
"""


def one_epoch(path: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", ONE_EPOCH, str(path)], capture_output=True, text=True, check=False
    )
    line = next((x for x in done.stderr.splitlines() if x.startswith("EPOCH")), None)
    if line is None:
        raise RuntimeError(f"{path}: no epoch timing: {done.stderr[-300:]}")
    return float(line.split()[1])


def probe_times(path: Path, budget: float) -> tuple[dict[str, float], str]:
    from nncheck.facts.capture import run_child
    from nncheck.options import RunOptions

    result = run_child(path, RunOptions(probes=True, probe_budget=budget))
    assert result.probes is not None, result.notes
    times = {r.name: r.seconds for r in result.probes.results}
    times["all probes"] = result.probes.seconds
    return times, result.probes.device


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    for name in FIXTURES:
        path = ROOT / name
        runs = [probe_times(path, args.budget) for _ in range(args.runs)]
        device = runs[0][1]
        probes = {key: statistics.median(r[0][key] for r in runs) for key in runs[0][0]}
        epoch = statistics.median(one_epoch(path) for _ in range(args.runs))
        total = probes.pop("all probes")
        each = ", ".join(f"{key} {value:.2f}" for key, value in probes.items() if value >= 0.005)
        print(
            f"{Path(name).stem}: all probes {total:.2f} s on {device}, one epoch {epoch:.2f} s "
            f"({total / epoch:.1f}x an epoch)"
        )
        print(f"    per probe (s): {each}")


if __name__ == "__main__":
    main()
