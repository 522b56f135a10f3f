"""
## What it does
The probes' work is sized by the setup (steps, samples, sweep points), never by time,
so that their verdict does not depend on how busy the machine is. `--probe-budget` is
only a safety limit: when a probe reaches it, nncheck stops the probes and reports
which one it was, how far it got, the probes that did not run, and a budget that would
let them finish. The findings of the probes that finished are still reported; nncheck
exits with code 2, because the check is incomplete and a gate must not pass on it.

## Use instead
Give the probes the budget the message proposes (`--probe-budget 120`, or
`probe-budget = 120` in `[tool.nncheck]`), or skip them with `--no-probes`.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E007",
    name="probe-budget-exceeded",
    severity=Severity.ERROR,
    summary="The active probes hit --probe-budget before they finished",
    doc=__doc__,
    reported_in="probe",
)
