"""What users read points at files that exist, and the published tips match the rules."""

from __future__ import annotations

import re

from conftest import ROOT

from nncheck.registry import all_rules

TIPS = ROOT / "docs" / "tips.md"


def _tip_rows() -> dict[int, set[str]]:
    rows = {}
    for line in TIPS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| (\d+) \|.*\| ([^|]*) \|$", line)
        if match:
            rows[int(match.group(1))] = set(re.findall(r"\b[A-Z]\d{3}\b", match.group(2)))
    return rows


def test_the_tips_page_lists_22_tips_with_exactly_the_rules_that_cite_them() -> None:
    rows = _tip_rows()
    assert sorted(rows) == list(range(1, 23))
    cited: dict[int, set[str]] = {number: set() for number in rows}
    for rule in all_rules():
        if rule.tip is not None:
            cited[rule.tip].add(rule.code)
    assert rows == cited


def _user_facing_texts() -> dict[str, str]:
    texts = {f"rule {r.code}": r.doc for r in all_rules()}
    texts.update({f"rule {r.code} summary": r.summary for r in all_rules()})
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        texts[path.name] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "nncheck").rglob("*.py")):
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return texts


def test_no_user_facing_text_cites_a_file_outside_the_repository() -> None:
    for where, text in _user_facing_texts().items():
        for outside in ("shared/", "DESIGN.md", "FACTS.md", "STYLE.md"):
            assert outside not in text, f"{where} cites {outside}"


def test_every_docs_reference_resolves_to_a_file_in_the_repository() -> None:
    for where, text in _user_facing_texts().items():
        for reference in re.findall(r"\bdocs/[\w./-]+\.md", text):
            assert (ROOT / reference).is_file(), f"{where} cites {reference}, which is missing"
