"""PyTorch figures for the closing note: what the full check and --static cost on PyTorch
scripts, against the floor of the script itself.

    python bench/pytorch_bench.py [--runs N]

Prints, as medians over N runs, each pair alternating in one run so that both sides see the
same machine load (shared machines are noisy; the ratios matter more than the seconds):
- for each clean PyTorch fixture (fixtures/pytorch/clean_*.py): `nncheck --no-probes` against
  the script's own run up to its first optimizer.step() (a plain interpreter that stops
  there: the framework import and the user's code are the floor), target at most 1.2x;
  the capture child's peak memory against that run's;
- `nncheck --static` on one PyTorch script, on the Keras demo and on all the files at once,
  against `python -c pass`, target at most 4x, twice: as an installed package runs (with
  its bytecode cached: one warm-up run writes the caches, PYTHONDONTWRITEBYTECODE unset),
  and with every module compiled from source on each run (PYTHONDONTWRITEBYTECODE=1, as on
  machines that set it);
- each probe's seconds (from the JSON report) against one real epoch of the script: the
  time from its first optimizer step to the end of one pass over its training DataLoader.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NNCHECK = str(Path(sys.executable).with_name("nncheck"))
# The script alone, stopped at its first optimizer.step() as nncheck stops it.
UNTIL_FIRST_STEP = (
    "import os, runpy, sys\n"
    "from torch.optim.optimizer import register_optimizer_step_pre_hook\n"
    "register_optimizer_step_pre_hook(lambda *a: os._exit(0))\n"
    "sys.argv = [sys.argv[1]]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "sys.exit('the script ended without an optimizer step')\n"
)


# The script's first epoch: timed from its first optimizer step until it has stepped once
# per batch of the DataLoader it iterates (len(loader) steps), then stopped.
ONE_EPOCH = (
    "import os, runpy, sys, time\n"
    "import torch\n"
    "from torch.optim.optimizer import register_optimizer_step_post_hook\n"
    "loaders = []\n"
    "iterate = torch.utils.data.DataLoader.__iter__\n"
    "def remember(loader):\n"
    "    loaders.append(loader)\n"
    "    return iterate(loader)\n"
    "torch.utils.data.DataLoader.__iter__ = remember\n"
    "state = {'steps': 0, 'start': None}\n"
    "def after_step(*args):\n"
    "    if state['start'] is None:\n"
    "        state['start'] = time.perf_counter()\n"
    "    state['steps'] += 1\n"
    "    per_epoch = len(loaders[-1]) if loaders else 1  # no DataLoader: full-batch steps\n"
    "    if state['steps'] > per_epoch:\n"
    "        print(time.perf_counter() - state['start'], flush=True)\n"
    "        os._exit(0)\n"
    "register_optimizer_step_post_hook(after_step)\n"
    "sys.argv = [sys.argv[1]]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def one_epoch_s(path: Path) -> float:
    """Seconds of one epoch of the script's own training (after its first step), run in a
    temporary folder: what the script writes there (checkpoints, logs) goes with it."""
    with tempfile.TemporaryDirectory(prefix="nncheck-bench-") as folder:
        done = subprocess.run(
            [sys.executable, "-c", ONE_EPOCH, str(path)],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(done.stdout.split()[-1])


def probe_seconds(path: Path) -> dict[str, float]:
    """Each probe's seconds in a full check of ``path`` (JSON report)."""
    import json

    done = subprocess.run(
        [NNCHECK, "--format", "json", str(path)], cwd=path.parent, capture_output=True, text=True
    )
    [probes] = json.loads(done.stdout)["probes"].values()
    return {r["name"]: r["seconds"] for r in probes["results"] if r["status"] == "ok"}


def drop_bytecode() -> None:
    """Remove the bytecode Python cached for nncheck and its rules in this checkout."""
    for package in ("nncheck", "rules"):
        for cache in (ROOT / package).rglob("__pycache__"):
            shutil.rmtree(cache)


def wall(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds ``command`` ran; it must succeed (0, or 1 for nncheck's findings)."""
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:3])}... failed: {done.stderr.decode()[-300:]}")
    return time.perf_counter() - start


def paired(
    commands: dict[str, list[str]], runs: int, cwd: Path, env: dict[str, str] | None = None
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(wall(command, cwd, env))
    return {name: statistics.median(times) for name, times in samples.items()}


def script_peak_mib(path: Path) -> float:
    """Peak resident memory of the script's own run to its first step (a fresh child)."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-c", UNTIL_FIRST_STEP, str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]) / 1024


def child_peak_mib(path: Path) -> float:
    from nncheck.facts.capture import run_child
    from nncheck.options import RunOptions

    return run_child(path, RunOptions(probes=False)).timings["peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    paths = sorted((ROOT / "fixtures" / "pytorch").glob("clean_*.py"))
    print(f"full check without probes, medians of {runs} paired runs:")
    print(f"{'fixture':<28} {'script s':>9} {'nncheck s':>10} {'ratio':>6} {'peak MiB':>17}")
    ratios = []
    for path in paths:
        times = paired(
            {
                "script": [sys.executable, "-c", UNTIL_FIRST_STEP, str(path)],
                "nncheck": [NNCHECK, "-q", "--no-probes", str(path)],
            },
            runs,
            path.parent,
        )
        ratio = times["nncheck"] / times["script"]
        ratios.append(ratio)
        peaks = f"{child_peak_mib(path):.0f} vs {script_peak_mib(path):.0f}"
        print(
            f"{path.stem:<28} {times['script']:9.2f} {times['nncheck']:10.2f} "
            f"{ratio:5.2f}x {peaks:>17}"
        )
    print(f"median ratio {statistics.median(ratios):.2f}x (target at most 1.2x)")
    one = ROOT / "fixtures" / "pytorch" / "clean_tabular_mlp.py"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "PyTorch script": [NNCHECK, "--static", "-q", str(one)],
        "Keras demo": [NNCHECK, "--static", "-q", str(ROOT / "fixtures/demo/train.py")],
        f"all {len(paths)} files": [NNCHECK, "--static", "-q", *map(str, paths)],
    }
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    drop_bytecode()  # nncheck's own modules compiled on each run, the standard library not
    for label, env in (("compiled on each run", uncached), ("bytecode cached", cached)):
        if env is cached:
            paired(commands, 1, ROOT, env)  # the warm-up that writes the caches
        static = paired(commands, runs * 2, ROOT, env)
        base = static["python -c pass"]
        print(f"nncheck --static, {label}, medians of {runs * 2} paired runs (target 4x):")
        for name, seconds in static.items():
            print(f"  {name:<18} {seconds * 1000:7.0f} ms  {seconds / base:5.2f}x")
    print(f"probes against one real epoch (seconds; medians of {runs} runs):")
    names = [
        "loss_at_init",
        "gradients",
        "dead_units",
        "memory",
        "overfit",
        "lr_range",
        "throughput",
        "checkpoint",
    ]
    print(f"{'fixture':<28} {'epoch':>6} " + " ".join(f"{n[:10]:>10}" for n in names))
    for path in paths:
        epoch = statistics.median(one_epoch_s(path) for _ in range(runs))
        measured = [probe_seconds(path) for _ in range(runs)]
        cells = []
        for name in names:
            values = [m[name] for m in measured if name in m]
            cells.append(f"{statistics.median(values):10.2f}" if values else f"{'-':>10}")
        print(f"{path.stem:<28} {epoch:6.2f} " + " ".join(cells))


if __name__ == "__main__":
    main()
