"""Do the probes give the same verdict on a busy machine? The proof for a CI gate.

    python bench/load_stability.py [--busy N] [--budget SECONDS] [FIXTURE ...]

Runs the full check (probes on, default seed) of every probe fixture (the fixtures that ask
for ``--probes``) and the demo, once on the machine as it is and once beside N busy
processes (default: 2 x the cores, each a tight Python loop), and prints per fixture both
finding sets (code, severity and the message, which carries the deciding numbers), their
difference (it must be empty) and the wall-time ratio busy / quiet. The timing rules (X108,
X111) decide on a ratio of times measured in one interleaved loop; their milliseconds differ
from run to run by nature, so for them the code and severity are compared and the numbers
printed side by side. Fixtures run one at a
time, so each quiet run is the baseline measured in the same session as its busy run.
Exit status 1 when any difference is found.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nncheck.engine import check_targets, collect_targets, select_rules  # noqa: E402
from nncheck.options import RunOptions  # noqa: E402

TIMING_RULES = {"X108", "X111"}


def probe_fixtures() -> list[Path]:
    """The fixtures that run with probes, and the demo."""
    found = [ROOT / "fixtures" / "demo" / "train.py"]
    for path in sorted((ROOT / "fixtures").rglob("*.py")):
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        if any(line.startswith("# nncheck-args:") and "--probes" in line for line in head):
            found.append(path)
    return found


def _spin() -> None:  # pragma: no cover - a busy process
    while True:
        pass


def verdict(path: Path, budget: float) -> tuple[set[tuple[str, str, str]], float, list[str]]:
    """The findings as (code, severity, message), the wall time of the check, and the
    timing rules' messages."""
    head = path.read_text(encoding="utf-8").splitlines()[:6]
    args = next((line.split(":", 1)[1].split() for line in head if "nncheck-args:" in line), [])
    select = args[args.index("--select") + 1].split(",") if "--select" in args else None
    options = RunOptions(timeout=600, probes=True, probe_budget=budget)
    begin = time.perf_counter()
    result = check_targets(collect_targets([path], False, options), select_rules(select, ()))
    wall = time.perf_counter() - begin
    found = {
        (f.code, f.severity.label, "(timing)" if f.code in TIMING_RULES else f.message)
        for f in result.findings
    }
    timings = [f"{f.code}: {f.message}" for f in result.findings if f.code in TIMING_RULES]
    return found, wall, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--busy", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("fixtures", nargs="*", type=Path)
    options = parser.parse_args()
    paths = [p.resolve() for p in options.fixtures] or probe_fixtures()
    ratios, differing = [], []
    print(f"{len(paths)} fixtures; busy = {options.busy} spinning processes")
    for path in paths:
        quiet, quiet_s, quiet_timing = verdict(path, options.budget)
        spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(options.busy)]
        for spinner in spinners:
            spinner.start()
        try:
            busy, busy_s, busy_timing = verdict(path, options.budget)
        finally:
            for spinner in spinners:
                spinner.kill()
                spinner.join()
        ratios.append(busy_s / quiet_s)
        name = path.relative_to(ROOT)
        codes = " ".join(sorted(code for code, _, _ in quiet)) or "-"
        print(f"\n{name}: quiet {quiet_s:.1f} s, busy {busy_s:.1f} s ({busy_s / quiet_s:.2f}x)")
        print(f"  quiet: {codes}")
        print(f"  busy:  {' '.join(sorted(code for code, _, _ in busy)) or '-'}")
        for label, lines in (("quiet", quiet_timing), ("busy", busy_timing)):
            for line in lines:
                print(f"  {label} timing: {line}")
        if quiet != busy:
            differing.append(name)
            for code, severity, message in sorted(quiet ^ busy):
                side = "quiet only" if (code, severity, message) in quiet else "busy only"
                print(f"  DIFF ({side}) {code} [{severity}] {message}")
        else:
            print("  difference: none")
    print(
        f"\n{len(paths) - len(differing)} of {len(paths)} fixtures give the same findings "
        f"(codes, severities, messages with their numbers) quiet and busy; wall-time ratio "
        f"busy/quiet: median {statistics.median(ratios):.2f}x, max {max(ratios):.2f}x"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
