"""JUnit XML for CI systems: a test case per finding, named by rule and line so that systems
keying on classname + name (GitLab) never merge two findings; findings at or above
--fail-on are failures, the others pass with their message as output."""

from __future__ import annotations

from xml.etree import ElementTree

from nncheck.reports import ReportContext
from nncheck.results import RunResult


def render(result: RunResult, context: ReportContext) -> str:
    threshold = context.fail_threshold
    failures = [f for f in result.findings if threshold is not None and f.severity >= threshold]
    suites = ElementTree.Element(
        "testsuites",
        name="nncheck",
        tests=str(max(len(result.findings), 1)),
        failures=str(len(failures)),
    )
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name="nncheck",
        tests=suites.get("tests", "1"),
        failures=str(len(failures)),
    )
    seen: dict[tuple[str, str], int] = {}
    for finding in result.findings:
        name = f"{finding.code} {finding.name} ({finding.line_label or 'line 0'})"
        seen[(finding.path, name)] = seen.get((finding.path, name), 0) + 1
        if seen[(finding.path, name)] > 1:  # never two test cases with one classname + name
            name += f" #{seen[(finding.path, name)]}"
        case = ElementTree.SubElement(suite, "testcase", classname=finding.path, name=name)
        text = finding.message + (f"\nfix: {finding.fix}" if finding.fix else "")
        if finding in failures:
            failure = ElementTree.SubElement(
                case, "failure", message=finding.message, type=finding.severity.label
            )
            failure.text = text
        else:
            ElementTree.SubElement(case, "system-out").text = text
    if not result.findings:
        ElementTree.SubElement(suite, "testcase", classname="nncheck", name="no findings")
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(suites, encoding="unicode")
        + "\n"
    )
