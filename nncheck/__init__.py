"""nncheck: a linter and sanity checker for neural-network training setups.

The public API is what this module exports; everything else may change between versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nncheck.findings import Finding, Severity
from nncheck.version import __version__

if TYPE_CHECKING:
    from nncheck.api import Report


__all__ = ["Finding", "Report", "Severity", "__version__", "check"]


def check(model: Any, x: Any = None, y: Any = None, **kwargs: Any) -> Report:
    """Check a live Keras model (data and fit() arguments) or PyTorch module (loader,
    loss_fn=, optimizer=); see nncheck.api.check."""
    from nncheck.api import check as _check

    return _check(model, x, y, **kwargs)
