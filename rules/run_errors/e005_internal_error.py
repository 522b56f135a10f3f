"""
## What it does
Reports a rule, an active probe, or nncheck's capture of the training setup, that raised
an exception on this target. The other rules' findings are still reported, and nncheck
exits with code 2 because its check was incomplete.

## Use instead
Report it with the script that triggers it; `--ignore CODE` skips a crashing rule
meanwhile.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E005",
    name="internal-error",
    severity=Severity.ERROR,
    summary="nncheck itself failed (a rule, a probe or the capture raised); the rest still ran",
    doc=__doc__,
    reported_in="both",
)
