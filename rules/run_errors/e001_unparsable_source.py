"""
## What it does
Reports a file that nncheck cannot read (permissions, encoding) or parse (a syntax error),
with the line and column Python's parser gives.

## Why is this bad?
No rule can judge a script that does not parse, and the script would fail at its first
line anyway. nncheck keeps checking the other files and exits with code 2.

## Use instead
Fix the syntax error; `python -m py_compile FILE` shows the same message.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E001",
    name="unparsable-source",
    severity=Severity.ERROR,
    summary="The file cannot be read or parsed as Python",
    doc=__doc__,
    reported_in="both",
)
