"""How nncheck does on programs in the style of real ones: recall, discrimination, claims.

    python bench/real_programs.py [--jobs N] [PROGRAM ...]

The corpus is ``fixtures/real/``: ``buggy/NAME.py`` programs written in the style of real
questions and issues, each with one known fault (its first line: ``# fault: CODE``, the rule
that names it) and a fixed twin ``NAME_fixed.py``; ``clean/*.py`` programs in the style of
the canonical Keras examples, which must get no defect claim. Every program runs three
ways, as a user would run nncheck: ``--static``, the full check with ``--no-probes``, and
the full check with the probes. Printed:

- recall: the buggy programs whose fault code is reported, by the first mechanism that
  reports it (static, captured, probe);
- discriminative recall: those whose fault code is then gone on the fixed twin;
- per program, the codes on the buggy program and on its twin;
- defect claims on the twins and on the clean programs: errors and warnings, other than the
  practice rules (seeds, early stopping, checkpoints: advice the tips give for any run), which
  are counted on their own line.

Exit status 1 when a clean program gets a defect claim or a fault is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "real"
NNCHECK = str(Path(sys.executable).with_name("nncheck"))
MODES = {
    "static": ["--static"],
    "captured": ["--no-probes"],
    "probe": ["--probe-budget", "120"],
}
# Rules whose finding is a practice the training tips recommend for any run (not a claim
# that the program is wrong): reported, but not counted as defect claims.
PRACTICE = {"T102", "T105", "T106", "T109"}


def run(path: Path, mode: str) -> list[tuple[str, str]]:
    """(code, severity) of every finding nncheck reports on ``path`` in ``mode``."""
    command = [NNCHECK, "--format", "json", "--exit-zero", "--quiet", *MODES[mode], str(path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode not in (0, 1):
        return [("E-nncheck", done.stderr.strip()[-200:])]
    return [(f["code"], f["severity"]) for f in json.loads(done.stdout)["findings"]]


def fault_of(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.split(":", 1)[1].strip() if first.startswith("# fault:") else ""


def claims(findings: list[tuple[str, str]]) -> set[str]:
    return {c for c, s in findings if s in {"error", "warning"} and c not in PRACTICE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("programs", nargs="*", type=Path)
    args = parser.parse_args()
    buggy = sorted(p for p in (CORPUS / "buggy").glob("*.py") if not p.stem.endswith("_fixed"))
    clean = sorted((CORPUS / "clean").glob("*.py"))
    if args.programs:
        wanted = {p.resolve() for p in args.programs}
        buggy = [p for p in buggy if p.resolve() in wanted]
        clean = [p for p in clean if p.resolve() in wanted]
    twins = [p.with_name(f"{p.stem}_fixed.py") for p in buggy]
    jobs = [(p, m) for p in [*buggy, *twins, *clean] for m in MODES]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(jobs, pool.map(lambda job: run(*job), jobs), strict=True))

    def codes(path: Path) -> set[str]:
        return {c for m in MODES for c, _ in results[(path, m)]}

    found, discriminative, by_mechanism = 0, 0, dict.fromkeys(MODES, 0)
    twin_claims: dict[str, int] = {}
    print(f"{'program':40} {'fault':6} {'found by':9} twin  buggy codes / twin codes")
    for program, twin in zip(buggy, twins, strict=True):
        fault = fault_of(program)
        mechanism = next((m for m in MODES if fault in {c for c, _ in results[(program, m)]}), None)
        gone = fault not in codes(twin)
        if mechanism is not None:
            found += 1
            by_mechanism[mechanism] += 1
            discriminative += gone
        for code in claims([f for m in MODES for f in results[(twin, m)]]):
            twin_claims[code] = twin_claims.get(code, 0) + 1
        print(
            f"{program.stem:40} {fault:6} {mechanism or 'MISSED':9} {'gone' if gone else 'STAYS'}  "
            f"{' '.join(sorted(codes(program)))} / {' '.join(sorted(codes(twin)))}"
        )
    clean_claims: dict[str, list[str]] = {}
    practice: dict[str, int] = {}
    for program in clean:
        findings = [f for m in MODES for f in results[(program, m)]]
        for code in claims(findings):
            clean_claims.setdefault(code, []).append(program.stem)
        for code in {c for c, _ in findings if c in PRACTICE}:
            practice[code] = practice.get(code, 0) + 1
    total = len(buggy)
    print()
    print(f"recall: {found}/{total} faults found before training")
    print("  by mechanism: " + ", ".join(f"{m} {n}" for m, n in by_mechanism.items()))
    print(f"discriminative recall: {discriminative}/{total} (found, and gone on the fixed twin)")
    print(f"defect claims on fixed twins (other codes): {dict(sorted(twin_claims.items()))}")
    print(
        f"clean programs: {len(clean)}, with a defect claim: "
        f"{len({p for ps in clean_claims.values() for p in ps})}  {clean_claims}"
    )
    print(f"practice advice on clean programs (not claims): {dict(sorted(practice.items()))}")
    return 1 if clean_claims or found < total else 0


if __name__ == "__main__":
    sys.exit(main())
