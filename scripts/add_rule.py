#!/usr/bin/env python3
"""Scaffold a new rule: its module, a fixture where it fires and a `_fixed` look-alike.

    python scripts/add_rule.py --code P104 --name unbatched-dataset --severity warning \
        --summary "A tf.data pipeline given to fit() without batch()" --mode static

creates ``rules/<family>/<code>_<name>.py`` (documentation sections, the declaration, an
implementation that finds nothing yet), ``fixtures/<static|live>/<code>_<name>.py`` (which
expects the new code) and its ``_fixed.py`` twin (which expects nothing), and adds the rule's
row to the README's rule table (and to docs/tips.md with ``--tip``). The fixture test fails
until the rule is written and the fixtures plant the bug: that is the point. CONTRIBUTING.md
says what to do next.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILY_FOLDERS = {
    "D": "data",
    "M": "model",
    "T": "training",
    "P": "pipeline",
    "X": "probes",
    "A": "advice",
}
SEVERITIES = ("error", "warning", "info")
# mode -> (the implementation's parameters, their imports, the fixture folder, its header key)
MODES = {
    "static": (
        "source: SourceFacts",
        "from nncheck.facts.source import SourceFacts\n",
        "static",
        "nncheck-expect",
    ),
    "full": (
        "model: ModelFacts, data: DataFacts, train: TrainFacts",
        "from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts\n",
        "live",
        "nncheck-expect-full",
    ),
    "probe": (
        "probes: ProbeFacts, train: TrainFacts",
        "from nncheck.facts.live import ProbeFacts, TrainFacts\n",
        "live",
        "nncheck-expect-full",
    ),
}

MODULE = '''"""
## What it does
TODO: what the rule looks at and when it fires, with the thresholds in numbers.

## Why is this bad?
TODO: what the problem costs a training run.

## Example
```python
TODO: the smallest code that has the problem
```

## Use instead
```python
TODO: the same code, fixed
```
"""

from __future__ import annotations

from collections.abc import Iterator

{imports}from nncheck.findings import Severity, Violation
from nncheck.registry import rule


def {function}({parameters}) -> Iterator[Violation]:
    # TODO: yield at(call, message, fix) (source) or at_site(train.site, ...) (live facts),
    # from ..common; return when the facts are not certain: false alarms are the enemy.
    return
    yield


RULE = rule(
    code="{code}",
    name="{name}",
    severity=Severity.{severity},
    summary="{summary}",{tip}
    doc=__doc__,
    implementations=({function},),
)
'''

FIXTURE = '''# {header}: {expect}
"""TODO: one line on the setup this fixture plants {code} in{twin}."""
import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential(
    [keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2)
'''


def fail(message: str) -> None:
    sys.exit(f"add_rule: {message}")


def existing_codes_and_names() -> tuple[set[str], set[str]]:
    codes, names = set(), set()
    for path in (ROOT / "rules").glob("*/[a-z][0-9][0-9][0-9]_*.py"):
        code, _, name = path.stem.partition("_")
        codes.add(code.upper())
        names.add(name.replace("_", "-"))
    return codes, names


def add_readme_row(code: str, row: str) -> None:
    """Insert ``row`` into the README's rule table, in code order (E0xx rows stay last)."""
    readme = ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [
        i for i, line in enumerate(lines) if re.match(r"\| [A-Z]\d{3} \|", line) and "|" in line
    ]
    if not rows:
        fail("README.md has no rule table")
    after = rows[0] - 1
    for index in rows:
        other = lines[index].split("|")[1].strip()
        if other.startswith("E") or other > code:
            break
        after = index
    lines.insert(after + 1, row + "\n")
    readme.write_text("".join(lines), encoding="utf-8")


def add_to_tip(code: str, tip: int) -> None:
    """Add ``code`` to the Rules cell of tip ``tip`` in docs/tips.md."""
    tips = ROOT / "docs" / "tips.md"
    lines = tips.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(f"| {tip} |"):
            head, _, cell = line.rstrip("\n").rstrip("|").rpartition("|")
            cited = sorted(set(re.findall(r"[A-Z]\d{3}", cell)) | {code})
            lines[index] = f"{head}| {', '.join(cited)} |\n"
            tips.write_text("".join(lines), encoding="utf-8")
            return
    fail(f"docs/tips.md has no tip {tip}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", required=True, help="e.g. P104 (family letter, three digits)")
    parser.add_argument("--name", required=True, help="kebab-case, e.g. unbatched-dataset")
    parser.add_argument("--severity", required=True, choices=SEVERITIES)
    parser.add_argument("--summary", required=True, help="one line, the `nncheck rules` text")
    parser.add_argument("--mode", required=True, choices=sorted(MODES))
    parser.add_argument("--tip", type=int, help="the training tip behind the rule (1-22)")
    args = parser.parse_args()

    code, name = args.code.upper(), args.name
    if not re.fullmatch(r"[A-Z]\d{3}", code) or code[0] not in FAMILY_FOLDERS:
        fail(f"expected a code like P104 with a family in {''.join(FAMILY_FOLDERS)}: {code!r}")
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", name):
        fail(f"expected a kebab-case name of two words or more: {name!r}")
    if args.tip is not None and not 1 <= args.tip <= 22:
        fail(f"--tip is a tip number from 1 to 22: {args.tip}")
    codes, names = existing_codes_and_names()
    if code in codes or name in names:
        fail(f"{code} / {name} exists already")
    if '"' in args.summary:
        fail("the summary cannot contain double quotes")

    parameters, imports, folder, header = MODES[args.mode]
    slug = f"{code.lower()}_{name.replace('-', '_')}"
    module = ROOT / "rules" / FAMILY_FOLDERS[code[0]] / f"{slug}.py"
    fixture = ROOT / "fixtures" / folder / f"{slug}.py"
    twin = fixture.with_name(f"{slug}_fixed.py")
    tip = f"\n    tip={args.tip}," if args.tip is not None else ""
    module.write_text(
        MODULE.format(
            imports=imports,
            function=name.replace("-", "_"),
            parameters=parameters,
            code=code,
            name=name,
            severity=args.severity.upper(),
            summary=args.summary,
            tip=tip,
        ),
        encoding="utf-8",
    )
    fixture.write_text(
        FIXTURE.format(header=header, expect=code, code=code, twin=""), encoding="utf-8"
    )
    twin.write_text(
        FIXTURE.format(header=header, expect="", code=code, twin=", fixed").replace(": \n", ":\n"),
        encoding="utf-8",
    )
    tip_cell = str(args.tip) if args.tip is not None else "-"
    add_readme_row(
        code, f"| {code} | {name} | {args.severity} | {tip_cell} | TODO | {args.mode} | - |"
    )
    if args.tip is not None:
        add_to_tip(code, args.tip)
    for path in (module, fixture, twin):
        print(f"created {path.relative_to(ROOT)}")
    print("edited  README.md (rule table)" + (", docs/tips.md" if args.tip else ""))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "index_rules.py")], check=True)
    print("next: CONTRIBUTING.md, 'Add a rule' (write the rule, plant the bug, fill the TODOs,")
    print("      then index it again: python scripts/index_rules.py)")


if __name__ == "__main__":
    main()
