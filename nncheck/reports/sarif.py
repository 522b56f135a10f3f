"""SARIF 2.1.0, as GitHub code scanning accepts it: the rules with their documentation, and a
result per finding with a repository-relative location."""

from __future__ import annotations

import json

from nncheck.findings import Finding, Severity
from nncheck.registry import all_rules
from nncheck.reports import ReportContext
from nncheck.results import RunResult
from nncheck.version import __version__

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _what_it_does(doc: str) -> str:
    """The first paragraph of a rule's documentation, without its section heading."""
    paragraph = doc.split("\n\n")[0]
    return " ".join(line for line in paragraph.splitlines() if not line.startswith("#")).strip()


def _fixes(finding: Finding) -> list[dict[str, object]]:
    """The finding's edit as SARIF replacements of whole lines, for code-scanning UIs."""
    from nncheck.fixes import replacements

    changes = []
    for first, last, text in replacements(finding):
        if last < first:  # an insertion before line `first`
            region = {"startLine": first, "startColumn": 1, "endLine": first, "endColumn": 1}
            inserted = text
        else:  # whole lines, without the last line's end: the new lines likewise
            region = {"startLine": first, "endLine": last}
            inserted = text.removesuffix("\n")
        changes.append({"deletedRegion": region, "insertedContent": {"text": inserted}})
    if not changes:
        return []
    return [
        {
            "description": {"text": finding.fix or "nncheck --fix"},
            "artifactChanges": [
                {"artifactLocation": {"uri": finding.path}, "replacements": changes}
            ],
        }
    ]


def render(result: RunResult, context: ReportContext) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver = {
        "name": "nncheck",
        "version": __version__,
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": _what_it_does(rule.doc)},
                "help": {"text": rule.doc, "markdown": rule.doc},
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
                "properties": {"tags": [rule.family]},
            }
            for rule in rules
        ],
    }
    results = []
    for finding in result.findings:
        location: dict[str, object] = {"artifactLocation": {"uri": finding.path}}
        if finding.line:
            region: dict[str, int] = {"startLine": finding.line}
            if finding.col:
                region["startColumn"] = finding.col
            if finding.end_line and finding.end_line >= finding.line:
                region["endLine"] = finding.end_line
            location["region"] = region
        text = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
        place: dict[str, object] = {"physicalLocation": location}
        if finding.cell is not None:
            # SARIF has no notebook cells: the region's lines are the cell's, and the cell
            # is the logical location (and a property, for tools that read those)
            place["logicalLocations"] = [
                {"name": f"cell {finding.cell}", "fullyQualifiedName": finding.where}
            ]
            place["properties"] = {"cell": finding.cell}
            text = f"{finding.line_label}: {text}"
        entry: dict[str, object] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": text},
            "locations": [place],
        }
        if finding.edit is not None:
            fixes = _fixes(finding)
            if fixes:
                entry["fixes"] = fixes
        results.append(entry)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(document, indent=2) + "\n"
