"""What --fix / --diff and the HTML report cost, for the closing note.

    python bench/fix_report_bench.py [--runs N]

Prints, as medians over N runs, each pair alternating in one run so that both sides see the
same machine load (shared machines are noisy; the ratios matter more than the seconds):
- `nncheck --static` on the demo against `nncheck --static --diff` and `--static --fix` (on a
  fresh copy each run): what applying the fixes adds to the pre-commit check;
- the full check of the demo (probes on) written as `--format json --output` against
  `--format html --output`: the time the pictures add, and the HTML report's size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo" / "train.py"
NNCHECK = str(Path(sys.executable).with_name("nncheck"))


def wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(commands: dict[str, list[str]], runs: int, work: Path) -> dict[str, float]:
    """Median wall time of each command, the commands taking turns; the demo is copied
    afresh before every command, so --fix always has something to fix."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            shutil.copy(DEMO, work / "train.py")
            samples[name].append(wall(command, work))
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="nncheck-bench-") as tmp:
        work = Path(tmp)
        static = paired(
            {
                "--static": [NNCHECK, "--static", "-q", "train.py"],
                "--static --diff": [NNCHECK, "--static", "-q", "--diff", "train.py"],
                "--static --fix": [NNCHECK, "--static", "-q", "--fix", "train.py"],
            },
            runs,
            work,
        )
        print(f"--static on fixtures/demo/train.py, medians of {runs} paired runs:")
        base = static["--static"]
        for name, seconds in static.items():
            print(f"  {name:<18} {seconds * 1000:7.0f} ms  {seconds / base:5.2f}x")

        full_runs = max(3, runs // 2)
        report = {
            "json": [NNCHECK, "-q", "--format", "json", "--output", "r.json", "train.py"],
            "html": [NNCHECK, "-q", "--format", "html", "--output", "r.html", "train.py"],
        }
        full = paired(report, full_runs, work)
        size = (work / "r.html").stat().st_size
        print(f"full check of the demo (probes on), medians of {full_runs} paired runs:")
        print(f"  --format json      {full['json']:7.2f} s")
        print(f"  --format html      {full['html']:7.2f} s  {full['html'] / full['json']:5.2f}x")
        print(f"  HTML report size   {size / 1024:7.1f} KiB (target under 1 MB)")


if __name__ == "__main__":
    main()
