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
