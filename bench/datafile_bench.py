"""Data-only check of a large CSV: rows/s and peak memory of nncheck vs pandas, same file.

    python bench/datafile_bench.py [--rows 10000000] [--cols 30] [--runs 3] [--keep FILE]

Generates a CSV of ``--rows`` x ``--cols`` (floats, an integer column, a 5%-positive label)
once, then alternates, in fresh processes, ``nncheck FILE --label y`` (the full data-only
check, CLI start-up included) and ``pandas.read_csv(FILE).describe()``, and prints the
median wall time, rows/s and peak RSS (VmHWM) of each, and the ratios. The file is removed
afterwards unless ``--keep`` names where to leave it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURE = """
import resource, runpy, sys, time
start = time.perf_counter()
kind, path = sys.argv[1], sys.argv[2]
if kind == "pandas":
    import pandas
    pandas.read_csv(path).describe()
else:
    sys.argv = ["nncheck", path, "--label", "y", "--exit-zero"]
    try:
        runpy.run_module("nncheck", run_name="__main__")
    except SystemExit:
        pass
elapsed = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(f"RESULT {elapsed:.3f} {peak:.1f}", file=sys.stderr)
"""


def generate(path: Path, rows: int, cols: int) -> None:
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv

    rng = np.random.default_rng(0)
    block = 500_000
    writer = None
    for start in range(0, rows, block):
        n = min(block, rows - start)
        columns = {f"f{i}": rng.normal(i, 1 + i, n).round(4) for i in range(cols - 2)}
        columns["count"] = rng.integers(0, 1000, n)
        columns["y"] = (rng.random(n) < 0.05).astype(np.int8)
        table = pa.table(columns)
        if writer is None:
            writer = csv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def measure(kind: str, path: Path) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("RESULT"))
    _, seconds, peak = line.split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cols", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nncheck-bench-") as tmp:
        path = args.keep or Path(tmp) / "big.csv"
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.rows, args.cols)
            print(
                f"generated {path.stat().st_size / 2**30:.2f} GiB in "
                f"{time.perf_counter() - started:.0f} s"
            )
        results: dict[str, list[tuple[float, float]]] = {"nncheck": [], "pandas": []}
        for _ in range(args.runs):
            for kind in results:
                results[kind].append(measure(kind, path))
        print(f"{args.rows:,} rows x {args.cols} columns, {args.runs} runs each (median):")
        medians = {}
        for kind, runs in results.items():
            seconds = statistics.median(s for s, _ in runs)
            peak = statistics.median(p for _, p in runs)
            medians[kind] = (seconds, peak)
            print(
                f"  {kind:<8} {seconds:7.2f} s  {args.rows / seconds:>12,.0f} rows/s  "
                f"peak RSS {peak:8.0f} MiB"
            )
        (n_s, n_mem), (p_s, p_mem) = medians["nncheck"], medians["pandas"]
        print(f"  nncheck vs pandas: {p_s / n_s:.2f}x faster, {n_mem / p_mem:.2f}x the memory")


if __name__ == "__main__":
    main()
