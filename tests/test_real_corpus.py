"""The real-programs corpus that bench/real_programs.py measures is well formed: every
buggy program names one known rule as its fault and has a fixed twin; the fixed twin says
which fault it fixes; every clean program says what it stands for. (The bench runs them.)"""

from __future__ import annotations

from conftest import FIXTURES

from nncheck.registry import get_rule

CORPUS = FIXTURES / "real"


def _first_line(path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0]


def test_every_buggy_program_names_a_rule_and_has_a_fixed_twin() -> None:
    buggy = sorted(p for p in (CORPUS / "buggy").glob("*.py") if not p.stem.endswith("_fixed"))
    assert len(buggy) >= 20
    for program in buggy:
        header = _first_line(program)
        assert header.startswith("# fault: "), program.name
        code = header.removeprefix("# fault: ")
        assert get_rule(code).code == code
        twin = program.with_name(f"{program.stem}_fixed.py")
        assert _first_line(twin) == f"# fixed: {code}", twin.name
        assert twin.read_text() != program.read_text()
    twins = {p.stem for p in (CORPUS / "buggy").glob("*_fixed.py")}
    assert twins == {f"{p.stem}_fixed" for p in buggy}


def test_every_clean_program_says_what_it_stands_for() -> None:
    clean = sorted((CORPUS / "clean").glob("*.py"))
    assert len(clean) >= 10
    for program in clean:
        assert _first_line(program).startswith("# clean: "), program.name
