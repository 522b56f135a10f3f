"""
## What it does
In a full check, reports an exception that the script raised before it reached training
(or a non-zero `sys.exit`, or a crash of its process), with the user's file:line and the
exception's message. The source rules still report what they find.

## Use instead
Run the script as `python train.py ARGS` to see the full traceback; pass the script's own
arguments to nncheck after `--`: `nncheck train.py -- --data data.csv`.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E002",
    name="script-failed",
    severity=Severity.ERROR,
    summary="The training script failed before its first training step",
    doc=__doc__,
    reported_in="full",
)
