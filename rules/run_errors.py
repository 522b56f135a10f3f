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
    "The training script failed before its first training step",
    """
    ## What it does
    In a full check, reports an exception that the script raised before it reached training
    (or a non-zero `sys.exit`, or a crash of its process), with the user's file:line and the
    exception's message. The source rules still report what they find.

    ## Use instead
    Run the script as `python train.py ARGS` to see the full traceback; pass the script's own
    arguments to nncheck after `--`: `nncheck train.py -- --data data.csv`.
    """,
)
describe(
    "E003",
    "script-timeout",
    Severity.ERROR,
    "The training script did not reach training within --timeout",
    """
    ## What it does
    In a full check, reports a script that ran longer than `--timeout` seconds (default 300)
    before its first training step. nncheck stops the script and every process it started,
    and removes its temporary files.

    ## Use instead
    Raise `--timeout` for scripts with slow data loading, or point the script at a smaller
    data set for the check.
    """,
)
describe(
    "E004",
    "no-training-found",
    Severity.ERROR,
    "The script ended without calling a Keras training entry point",
    """
    ## What it does
    In a full check, reports a script that finished without calling `Model.fit`,
    `Model.train_on_batch` or an optimizer step (`apply_gradients` / `apply`), so there was
    no training setup to capture; also a script that uses PyTorch rather than Keras.

    ## Use instead
    Check the script's own arguments (pass them after `--`), or name the script that trains.
    """,
)
describe(
    "E005",
    "internal-error",
    Severity.ERROR,
    "nncheck itself failed (a rule, a probe or the capture raised); the rest still ran",
    """
    ## What it does
    Reports a rule, an active probe, or nncheck's capture of the training setup, that raised
    an exception on this target. The other rules' findings are still reported, and nncheck
    exits with code 2 because its check was incomplete.

    ## Use instead
    Report it with the script that triggers it; `--ignore CODE` skips a crashing rule
    meanwhile.
    """,
)
describe(
    "E006",
    "unreadable-input",
    Severity.ERROR,
    "A model or data file cannot be read",
    """
    ## What it does
    Reports a saved model or data file that nncheck cannot use: missing or truncated, not in
    the format its name says, a model that needs a custom class whose code is not importable
    (Keras' `safe_mode` stays on: nncheck never runs code stored in a file), a label column
    that does not exist, an empty table, or nested (struct / list) columns.

    ## Use instead
    Fix or re-export the file; for a custom layer, make its module importable and decorate
    the class with `@keras.saving.register_keras_serializable()`.
    """,
)
describe(
    "E007",
    "probe-budget-exceeded",
    Severity.ERROR,
    "The active probes hit --probe-budget before they finished",
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
    """,
)
