"""nncheck: a linter and sanity checker for neural-network training setups.

The public API is what this module exports; everything else may change between versions.
"""

from nncheck.findings import Finding, Severity

__version__ = "0.1.0"

__all__ = ["Finding", "Severity", "__version__"]
