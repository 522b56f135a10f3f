"""The JSON report: a stable, documented schema (docs/json-schema.md) for tools and CI."""

from __future__ import annotations

import dataclasses
import json

from nncheck.findings import Severity
from nncheck.reports import ReportContext
from nncheck.results import RunResult
from nncheck.version import __version__

SCHEMA_VERSION = 1


def render(result: RunResult, context: ReportContext) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "nncheck", "version": __version__},
        "mode": context.mode,
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "suppressed": result.suppressed,
            "baselined": result.baselined,
            "failed": result.failed,
        },
        "findings": [finding.to_dict() for finding in result.findings],
        "probes": {path: dataclasses.asdict(probes) for path, probes in result.probes.items()},
        "overviews": {path: dataclasses.asdict(view) for path, view in result.overviews.items()},
        "notes": result.notes,
        "skipped": [
            {"code": skip.code, "path": skip.path, "reason": skip.reason} for skip in result.skips
        ],
    }
    return json.dumps(document, indent=2, default=str) + "\n"
