"""
## What it does
Reports a saved model, data file or notebook that nncheck cannot use: missing or truncated,
not in the format its name says (a notebook that is not JSON, not nbformat 4, or has no code
cells), a model that needs a custom class whose code is not importable
(Keras' `safe_mode` stays on: nncheck never runs code stored in a file), a label column
that does not exist, an empty table, or nested (struct / list) columns.

## Use instead
Fix or re-export the file (an old notebook: `jupyter nbconvert --to notebook --inplace`);
for a custom layer, make its module importable and decorate the class with
`@keras.saving.register_keras_serializable()`.
"""

from __future__ import annotations

from nncheck.findings import Severity
from nncheck.registry import described

RULE = described(
    code="E006",
    name="unreadable-input",
    severity=Severity.ERROR,
    summary="A model, data file or notebook cannot be read",
    doc=__doc__,
    reported_in="both",
)
