"""The fuzz harness at scale: nncheck on many generated, valid Keras setups.

    python bench/fuzz.py [--count N] [--start SEED] [--jobs J]

Each seed makes one training script (tests/fuzz_setups.py: model style, head, loss and
label format, data container, callbacks, optimizer, fit / train_on_batch / GradientTape),
and nncheck runs its full check with the probes on it, in its own temporary directory.
Printed: how many ran, and the crashes (exit 2, or an E0xx finding: nncheck's own
failure, a probe that crashed or ran out of budget), hangs (no answer within the limit),
claims that a valid setup's first step raises (T114), and files left behind, with the
seed and choices of each. Exit status 1 when any is found. ``make test`` runs a few seeds
(tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz_setups import check_setup  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--start", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    seeds = range(args.start, args.start + args.count)
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(check_setup, seeds))
    problems = [o for o in outcomes if o.problems]
    kinds: dict[str, int] = {}
    for outcome in problems:
        for problem in outcome.problems:
            kind = problem.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"seed {outcome.seed}: {outcome.problems}  {outcome.choices}")
    heads = sorted({o.choices["head"] for o in outcomes})
    trainings = sorted({o.choices["training"] for o in outcomes})
    containers = sorted({o.choices["container"] for o in outcomes})
    print(f"setups run: {len(outcomes)} (seeds {seeds.start}-{seeds.stop - 1})")
    print(f"  heads: {', '.join(heads)}")
    print(f"  training: {', '.join(trainings)}; containers: {', '.join(containers)}")
    print(f"setups with a problem: {len(problems)} {kinds}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
