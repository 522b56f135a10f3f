"""Static-mode figures for the closing note: speed, memory and start-up against the floor.

    python bench/static_bench.py [--runs N]

Prints, as medians over N runs (machines are shared and noisy, so ratios against a baseline
measured in the same run matter more than absolute times):
- in-process analysis of a generated 1,000-line training script and of the fixtures/ tree:
  files/s, lines/s;
- peak resident memory of `nncheck --static` on each, next to `python -c pass`;
- process wall time of `nncheck --static` on one typical script (fixtures/demo/train.py)
  against `python -c pass` (the interpreter floor) and `python -c "import pandas"`;
- `nncheck --static` on a 50-cell notebook against the same code as a script, the two runs
  alternating (paired), target at most 1.3x.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo" / "train.py"

BLOCK = """
def build_model_{i}(units={u}, rate={r}):
    inputs = keras.Input((32,))
    x = layers.Dense(units, activation="relu")(inputs)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense({w}, activation="relu")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_dataset_{i}(x, y):
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1024)
    ds = ds.map(lambda a, b: (a * 2.0, b)).batch({b})
    return ds


model_{i} = build_model_{i}()
train_{i} = make_dataset_{i}(x_train, y_train)
model_{i}.fit(train_{i}, epochs={e}, callbacks=[
    keras.callbacks.EarlyStopping(monitor="val_acc", patience={p}),
])
"""


def generated_script(lines: int = 1000) -> str:
    header = (
        "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n"
        "from tensorflow.keras import layers\n\nNUM_CLASSES = 10\n"
        "x_train = np.random.rand(1024, 32)\ny_train = np.random.randint(0, 10, 1024)\n"
    )
    parts, i = [header], 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(
            BLOCK.format(i=i, u=60 + i, w=64, r=10 ** -(i % 4), b=30 + i, e=5 + i, p=i % 25)
        )
        i += 1
    return "".join(parts)


def notebook_and_script(folder: Path, cells: int = 50) -> tuple[Path, Path]:
    """A notebook of ``cells`` code cells (imports with magics, then the generated blocks, a
    markdown cell before every fifth) and the script its code cells make."""
    code = [
        "%pip install -q keras\n%matplotlib inline\n" + generated_script(0).rstrip("\n"),
        *[
            BLOCK.format(i=i, u=60 + i, w=64, r=10 ** -(i % 4), b=30 + i, e=5 + i, p=i % 25)
            .strip("\n")
            .replace(f"\nmodel_{i}.fit(", f"\n%time model_{i}.fit(")
            for i in range(cells - 1)
        ],
    ]
    notebook_cells: list[dict[str, object]] = []
    for i, source in enumerate(code):
        if i % 5 == 0:
            notebook_cells.append({"cell_type": "markdown", "metadata": {}, "source": f"## {i}"})
        notebook_cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
        )
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": notebook_cells}
    notebook = folder / "explore.ipynb"
    notebook.write_text(json.dumps(document, indent=1), encoding="utf-8")
    script = folder / "explore.py"
    plain = "\n".join(code).replace("%time ", "")
    plain = plain.replace("%pip install -q keras", "pass").replace("%matplotlib inline", "pass")
    script.write_text(plain + "\n", encoding="utf-8")
    return notebook, script


def paired(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Median wall times of two commands run alternately (each pair sees the same load)."""
    times: tuple[list[float], list[float]] = ([], [])
    for args in (first, second):  # warm the file cache
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for _ in range(runs):
        for samples, args in zip(times, (first, second), strict=True):
            start = time.perf_counter()
            subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            samples.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def median_time(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def in_process(paths: list[Path], runs: int) -> tuple[int, int, float]:
    from nncheck.engine import check_targets, collect_targets, select_rules

    rules = select_rules(None, ())
    targets = collect_targets(paths, static=True)
    lines = sum(
        len(t.path.read_text(encoding="utf-8", errors="replace").splitlines()) for t in targets
    )
    seconds = median_time(lambda: check_targets(targets, rules), runs)
    return len(targets), lines, seconds


def process(args: list[str], runs: int) -> float:
    def once() -> None:
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    once()  # warm the file cache
    return median_time(once, runs)


# VmHWM is the process's own high-water mark; ru_maxrss would carry over the forking
# parent's peak across exec on Linux.
HWM = "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
PEAK = (
    "import sys\n"
    "from nncheck.cli import main\n"
    "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    f"sys.stdout = sys.__stderr__\n{HWM}\n"
)


def peak_kb(args: list[str]) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, *args], capture_output=True, text=True, check=False
    )
    return int(proc.stderr.split()[-1])


def floor_peak_kb() -> int:
    proc = subprocess.run([sys.executable, "-c", HWM], capture_output=True, text=True)
    return int(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    nncheck = str(Path(sys.executable).with_name("nncheck"))

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "generated_train.py"
        big.write_text(generated_script(), encoding="utf-8")
        print(f"static mode, median of {runs} runs\n")
        print(
            f"{'workload':<34} {'files':>5} {'lines':>6} {'ms':>8} {'files/s':>9} {'lines/s':>10}"
        )
        for label, paths in [
            ("generated 1,000-line script", [big]),
            ("fixtures/ tree", [ROOT / "fixtures"]),
        ]:
            files, lines, seconds = in_process(paths, runs)
            print(
                f"{label:<34} {files:>5} {lines:>6} {seconds * 1e3:>8.1f} "
                f"{files / seconds:>9.0f} {lines / seconds:>10.0f}"
            )

        floor_kb = floor_peak_kb()
        print(f"\npeak RSS: python -c pass {floor_kb / 1024:.1f} MiB", end="")
        for label, target in [("1,000-line script", big), ("fixtures/", ROOT / "fixtures")]:
            kb = peak_kb(["--static", "--format", "json", str(target)])
            print(f"; nncheck --static {label} {kb / 1024:.1f} MiB", end="")
        print()

        floor = process([sys.executable, "-c", "pass"], runs)
        pandas = process([sys.executable, "-c", "import pandas"], runs)  # in the dev extra
        one = process([nncheck, "--static", str(DEMO)], runs)
        big_run = process([nncheck, "--static", str(big)], runs)
        print("\nprocess wall time (median):")
        print(f"  python -c pass                      {floor * 1e3:7.1f} ms  1.00x")
        print(
            f"  python -c 'import pandas'           {pandas * 1e3:7.1f} ms  {pandas / floor:.2f}x"
        )
        print(f"  nncheck --static demo/train.py      {one * 1e3:7.1f} ms  {one / floor:.2f}x")
        print(
            f"  nncheck --static 1,000-line script  {big_run * 1e3:7.1f} ms  {big_run / floor:.2f}x"
        )
        verdict = "meets" if one < 0.150 else "misses"
        print(f"\ntarget: one typical script under 150 ms wall: {verdict} ({one * 1e3:.0f} ms)")

        notebook, script = notebook_and_script(Path(tmp))
        as_notebook, as_script = paired(
            [nncheck, "--static", str(notebook)], [nncheck, "--static", str(script)], runs
        )
        lines = script.read_text(encoding="utf-8").count("\n")
        ratio = as_notebook / as_script
        verdict = "meets" if ratio <= 1.3 else "misses"
        print(f"\n50-cell notebook ({lines} lines of code), paired with the same code as a script:")
        print(f"  nncheck --static explore.py         {as_script * 1e3:7.1f} ms  1.00x")
        print(f"  nncheck --static explore.ipynb      {as_notebook * 1e3:7.1f} ms  {ratio:.2f}x")
        print(f"target: the notebook at most 1.3x the script: {verdict} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
