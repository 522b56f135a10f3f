"""E0xx: findings about nncheck's own run. The engine reports them; they always exit 2."""

from nncheck.findings import Severity
from nncheck.registry import describe

describe(
    "E001",
    "unparsable-source",
    Severity.ERROR,
    "The file cannot be read or parsed as Python",
    """
    ## What it does
    Reports a file that nncheck cannot read (permissions, encoding) or parse (a syntax error),
    with the line and column Python's parser gives.

    ## Why is this bad?
    No rule can judge a script that does not parse, and the script would fail at its first
    line anyway. nncheck keeps checking the other files and exits with code 2.

    ## Use instead
    Fix the syntax error; `python -m py_compile FILE` shows the same message.
    """,
)
describe(
    "E002",
    "script-failed",
    Severity.ERROR,
    "The training script raised an exception before its first training step",
    """
    ## What it does
    In a full check, reports an exception that the script raised before it reached training,
    with the user's file:line and the exception's message.
    """,
)
describe(
    "E003",
    "script-timeout",
    Severity.ERROR,
    "The training script did not reach training within --timeout",
    """
    ## What it does
    In a full check, reports a script that ran past `--timeout` seconds before its first
    training step; its whole process tree is stopped.
    """,
)
describe(
    "E004",
    "no-training-found",
    Severity.ERROR,
    "The script ended without calling a training entry point",
    """
    ## What it does
    In a full check, reports a script that finished without calling `Model.fit`,
    `train_on_batch` or an optimizer step, so there was no training setup to capture.
    """,
)
describe(
    "E005",
    "rule-crashed",
    Severity.ERROR,
    "A rule raised an exception; the other rules still ran",
    """
    ## What it does
    Reports a rule that raised an exception on this target. The other rules' findings are
    still reported, and nncheck exits with code 2 because its check was incomplete.

    ## Use instead
    Report it with the script that triggers it; `--ignore CODE` skips the rule meanwhile.
    """,
)
