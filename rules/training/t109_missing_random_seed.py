"""
## What it does
Checks that a script which trains seeds every random number generator involved:
`keras.utils.set_random_seed(seed)` (Python, NumPy and the backend at once), or
`tf.random.set_seed` together with `np.random.seed` and `random.seed`. A PyTorch script
(a `torch.optim` optimizer stepped in the script, or a Lightning `Trainer.fit`) needs
`torch.manual_seed(seed)`, or `L.seed_everything(seed)` / `transformers.set_seed(seed)`.
A call to the project's own helper whose name contains "seed" is trusted.

## Why is this bad?
Weight initialisation, shuffling, dropout and augmentation all draw random numbers.
Without seeds two runs of the same code differ, so the effect of a change cannot be told
from run-to-run noise. Keras 3 draws its initializer seeds from Python's `random`
module: `tf.random.set_seed` alone does not make the initial weights repeatable
(verified on Keras 3.15).

## Example
```python
model = build_model()
model.fit(x, y, epochs=50)
```

## Use instead
```python
keras.utils.set_random_seed(42)
model = build_model()
model.fit(x, y, epochs=50)
```
For bit-exact GPU runs also call `tf.config.experimental.enable_op_determinism()`.

## References
- Tip 3 of the training tips (docs/tips.md)
- https://keras.io/api/utils/python_utils/#setrandomseed-function
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from nncheck.facts.source import SourceFacts
from nncheck.findings import Edit, Severity, Violation
from nncheck.registry import rule

from ..common import at, keras_name, module_name


def missing_random_seed(source: SourceFacts) -> Iterator[Violation]:
    if not source.training_calls:
        return
    seeded = source.seeded
    if seeded & {"all", "unknown"}:
        return
    if not source.uses_keras:
        yield from _unseeded_torch(source)
        return
    missing = [
        label
        for key, label in (
            ("tensorflow", "TensorFlow"),
            ("numpy", "NumPy"),
            ("python", "Python's random (Keras 3 draws its initializer seeds from it)"),
        )
        if key not in seeded
    ]
    if not missing:
        return
    first = source.training_calls[0]
    if len(missing) == 3:
        message = (
            f"training at line {first.line} runs with no random seed: initial weights, "
            "shuffling and dropout differ on every run, so a change cannot be told from noise"
        )
    else:
        message = f"training at line {first.line} seeds only part of the RNGs; not seeded: " + (
            ", ".join(missing)
        )
    fix = "keras.utils.set_random_seed(42)  # at the top: seeds Python, NumPy and the backend"
    violation = at(first, message, fix, missing=missing)
    name = keras_name(source)
    if len(missing) == 3 and name is not None:  # a partial seeding is the user's to complete
        edit = Edit("statement", f"{name}.utils.set_random_seed(42)")
        violation = dataclasses.replace(violation, edit=edit)
    yield violation


def _unseeded_torch(source: SourceFacts) -> Iterator[Violation]:
    """A PyTorch script: torch's generator draws the initial weights, the DataLoader's
    shuffling and dropout; NumPy and Python matter only where the script uses them."""
    if "torch" in source.seeded:
        return
    first = source.training_calls[0]
    violation = at(
        first,
        f"training at line {first.line} runs with no torch.manual_seed: initial weights, "
        "shuffling and dropout differ on every run, so a change cannot be told from noise",
        "torch.manual_seed(42)  # at the top, before the model is built",
        missing=["PyTorch"],
    )
    name = module_name(source, "torch")
    if name is not None:
        violation = dataclasses.replace(
            violation, edit=Edit("statement", f"{name}.manual_seed(42)")
        )
    yield violation


RULE = rule(
    code="T109",
    name="missing-random-seed",
    severity=Severity.WARNING,
    summary="Training runs without seeding",
    tip=3,
    fix="safe",
    doc=__doc__,
    implementations=(missing_random_seed,),
)
