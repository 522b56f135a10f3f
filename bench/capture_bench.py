"""Full-check figures for the closing note: where the time goes, memory, data statistics.

    python bench/capture_bench.py [--runs N]

Prints, as medians over N runs with same-run baselines (shared machines are noisy):
- for each clean full-mode fixture (fixtures/live/clean_*.py): the wall time of `nncheck FILE`
  (the full check; the active probes do not exist yet, so this is the --no-probes time), and
  the share of it spent importing TensorFlow/Keras and running the user's script, as the
  child process measured them; the child's peak memory;
- baselines: `python -c pass` and `python -c "import keras"` (TensorFlow backend);
- sampled-data statistics on a 1,000,000-row, 50-column float32 array: samples/s of the
  capture path (random 10,000-row sample, statistics, row hashes) and of the same statistics
  on every row, against pandas' DataFrame.describe() on the same array.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NNCHECK = str(Path(sys.executable).with_name("nncheck"))


def median_wall(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def child_timings(path: Path, runs: int) -> dict[str, float]:
    from nncheck.facts.capture import run_child
    from nncheck.options import RunOptions

    rows = [run_child(path, RunOptions()).timings for _ in range(runs)]
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def data_statistics(runs: int) -> None:
    import numpy as np
    import pandas as pd

    from nncheck.facts import datastats

    rng = np.random.default_rng(0)
    x = rng.normal(50, 20, size=(1_000_000, 50)).astype("float32")
    y = (rng.random(1_000_000) < 0.1).astype("float32")

    def sampled() -> None:
        index = datastats.sample_indices(len(x), 10_000)
        sample_x, sample_y = x[index], y[index]
        datastats.input_stats("x", sample_x)
        datastats.target_stats("y", sample_y)
        datastats.row_hashes(sample_x)

    def every_row() -> None:
        datastats.input_stats("x", x)
        datastats.target_stats("y", y)

    def pandas_describe() -> None:
        pd.DataFrame(x).describe()

    print("\ndata statistics on a 1,000,000 x 50 float32 array (median of runs):")
    for label, func in [
        ("nncheck capture path (10,000-row sample)", sampled),
        ("nncheck statistics on every row", every_row),
        ("pandas DataFrame(x).describe()", pandas_describe),
    ]:
        seconds = statistics.median(_timed(func) for _ in range(runs))
        print(f"  {label:<42} {seconds * 1e3:8.1f} ms  {len(x) / seconds:>14,.0f} rows/s")


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    floor = median_wall([sys.executable, "-c", "pass"], runs)
    keras_import = median_wall(
        [sys.executable, "-c", "import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'; import keras"],
        runs,
    )
    print(f"full check, median of {runs} runs")
    print(
        f"baselines: python -c pass {floor:.2f} s; python -c 'import keras' {keras_import:.2f} s\n"
    )
    print(
        f"{'fixture':<34} {'wall s':>7} {'xKeras':>7} {'import':>7} {'script':>7} "
        f"{'facts':>7} {'peak MiB':>9}"
    )
    for path in sorted((ROOT / "fixtures" / "live").glob("clean_*.py")):
        wall = median_wall([NNCHECK, str(path)], runs)
        timing = child_timings(path, max(1, runs // 2))
        print(
            f"{path.stem:<34} {wall:7.2f} {wall / keras_import:7.2f} "
            f"{timing['import_s'] / wall:6.0%} {timing.get('script_s', 0) / wall:7.0%} "
            f"{timing.get('facts_s', 0) / wall:7.0%} {timing['peak_rss_mb']:9.0f}"
        )
    print(
        "import, script, facts: shares of the wall time spent importing TensorFlow/Keras in "
        "the child,\nrunning the user's script up to its first training step, and "
        "extracting the facts."
    )
    data_statistics(runs)


if __name__ == "__main__":
    main()
