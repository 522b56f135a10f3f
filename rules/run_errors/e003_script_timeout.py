"""
## What it does
In a full check, reports a script that ran longer than `--timeout` seconds (default 300)
before its first training step. nncheck stops the script and every process it started,
and removes its temporary files.

## Use instead
Raise `--timeout` for scripts with slow data loading, or point the script at a smaller
data set for the check.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E003",
    name="script-timeout",
    severity=Severity.ERROR,
    summary="The training script did not reach training within --timeout",
    doc=__doc__,
    reported_in="full",
)
