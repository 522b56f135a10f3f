"""
## What it does
In a full check, reports a script that finished without calling `Model.fit`,
`Model.train_on_batch`, a Keras optimizer step (`apply_gradients` / `apply`) or a PyTorch
`optimizer.step()`, so there was no training setup to capture; also a script that imports
none of Keras, TensorFlow and PyTorch.

## Use instead
Check the script's own arguments (pass them after `--`), or name the script that trains.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E004",
    name="no-training-found",
    severity=Severity.ERROR,
    summary="The script ended without calling a training entry point",
    doc=__doc__,
    reported_in="full",
)
