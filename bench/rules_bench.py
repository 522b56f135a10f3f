"""Figures for the architecture rules (issue 6): which mechanism fires them, what they cost.

    python bench/rules_bench.py [--runs N]

For every fixture with a full-mode expectation it prints how many findings of the issue-6
rules (M106 M107 M401-M406 M501-M503 D206) the static check and the full check produce
(the full check's live judgement supersedes the static one; no probe exists yet), and the
time these rules add to a full check: their median run time on the captured facts (the
capture itself runs once per fixture, outside the timing) against the full check's wall
time measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import expected_codes, fixture_files  # noqa: E402

from nncheck.engine import check_targets, collect_targets, select_rules  # noqa: E402
from nncheck.facts import FactStore, Target  # noqa: E402
from nncheck.facts.capture import run_child  # noqa: E402
from nncheck.options import RunOptions  # noqa: E402

CODES = [
    "M106",
    "M107",
    "M401",
    "M402",
    "M403",
    "M404",
    "M405",
    "M406",
    "M501",
    "M502",
    "M503",
    "D206",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    rules = select_rules(CODES, ())
    static_count = live_count = 0
    added, walls = [], []
    paths = [
        p
        for p in fixture_files("full")
        if not any(code.startswith("E") for code in expected_codes(p, "full"))
    ]
    for path in paths:
        static = check_targets(collect_targets([path], static=True), rules)
        static_count += sum(f.code in CODES for f in static.findings)
        start = time.perf_counter()
        full = check_targets(collect_targets([path], static=False), select_rules(None, ()))
        walls.append(time.perf_counter() - start)
        live_count += sum(f.code in CODES for f in full.findings)
        captured = run_child(path, RunOptions())
        if captured.status != "captured":
            continue
        store = FactStore(Target(path=path, display_path=path.name, static=False, run=True))
        store._cache.update(
            capture=captured, model=captured.model, train=captured.train, data=captured.data
        )
        store.get("source")
        samples = []
        for _ in range(runs):
            begin = time.perf_counter()
            for rule in rules:
                for needs, func in rule.implementations:
                    try:
                        facts = {kind: store.get(kind) for kind in needs}
                    except Exception:
                        continue
                    if "options" in func.__code__.co_varnames[: func.__code__.co_argcount]:
                        facts["options"] = dict(rule.options)
                    list(func(**facts))
                    break
            samples.append(time.perf_counter() - begin)
        added.append(statistics.median(samples))
    print(f"issue-6 rules on {len(paths)} full-mode fixtures (those whose script trains)")
    print(
        f"  findings in --static: {static_count}; in the full check: {live_count} "
        "(live facts; probes: 0, none exist yet)"
    )
    print(
        f"  time these rules add per fixture (median of {runs}): "
        f"{statistics.median(added) * 1e3:.2f} ms (max {max(added) * 1e3:.2f} ms)"
    )
    print(
        f"  full check wall time per fixture (median): {statistics.median(walls):.2f} s; "
        f"share added: {statistics.median(added) / statistics.median(walls):.4%}"
    )


if __name__ == "__main__":
    main()
