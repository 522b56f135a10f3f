"""nncheck's built-in rule pack, one module per family. Importing it registers every rule.

Rules judge framework-neutral facts and never import a framework.
"""

from nncheck.rules import (
    architecture,
    data,
    model,
    pipeline,
    probes,
    run_errors,
    saved_model,
    training,
)

__all__ = [
    "architecture",
    "data",
    "model",
    "pipeline",
    "probes",
    "run_errors",
    "saved_model",
    "training",
]
