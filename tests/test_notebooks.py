"""Notebooks as targets: IPython syntax, findings located by cell in every format, the full
check of the code cells, and the notebooks nncheck cannot check."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from forked_children import forked_children

from nncheck.cli import main
from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.findings import Finding
from nncheck.notebook import NotebookError, notebook_source, python_lines, read_notebook
from nncheck.options import RunOptions

DEMO_SCRIPT = FIXTURES / "demo" / "train.py"
DEMO_NOTEBOOK = FIXTURES / "demo" / "train.ipynb"
MAGICS = FIXTURES / "notebooks" / "magics.ipynb"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def _notebook(*cells: str, markdown_first: bool = True) -> dict[str, object]:
    made: list[dict[str, object]] = [
        {"cell_type": "markdown", "metadata": {}, "source": "# A notebook"}
    ][: int(markdown_first)]
    made.extend(
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c}
        for c in cells
    )
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": made}


def _write(path: Path, *cells: str) -> Path:
    path.write_text(json.dumps(_notebook(*cells)), encoding="utf-8")
    return path


def _static(path: Path) -> list[Finding]:
    return check_targets(collect_targets([path], static=True), select_rules(None, ())).findings


def _located_line(finding: Finding) -> str:
    """The source line a finding points at, read from its script or its notebook's cell."""
    path = Path(finding.path)
    if finding.cell is None:
        return path.read_text(encoding="utf-8").splitlines()[finding.line - 1]
    return read_notebook(path).cell_lines(finding.cell)[finding.line - 1]


def _same_finding(finding: Finding) -> tuple[object, ...]:
    """What a finding says, with the lines it mentions in its text blanked."""
    blank = re.compile(r"line \d+( of cell \d+)?")
    return (finding.code, finding.col, blank.sub("line #", finding.message), finding.fix)


# -- IPython syntax --------------------------------------------------------------------------


def test_magics_and_shell_escapes_become_python_line_for_line() -> None:
    cell = "\n".join(
        [
            "%pip install -q keras",
            "!nvidia-smi",
            "files = !ls data",
            "a, b = %sx echo 1 2",
            "%env KERAS_BACKEND=jax",
            "%env TF_CPP_MIN_LOG_LEVEL 3",
            "%cd ../data",
            "%time history = model.fit(x, y)",
            "%timeit -n1 -r1 model.predict(x)",
            "keras.layers.Dense?",
            "if ready:",
            "    !echo training \\",
            "        now",
            "    model.fit(x, y)",
            "rate = 10 % 3",
            "print('%time', \"!ls\")",
        ]
    )
    lines, changed = python_lines(cell)
    assert lines == [
        "pass",
        "pass",
        "files = []",
        "a, b = []",
        "__import__('os').environ['KERAS_BACKEND'] = 'jax'",
        "__import__('os').environ['TF_CPP_MIN_LOG_LEVEL'] = '3'",
        "__import__('os').chdir('../data')",
        "history = model.fit(x, y)",
        "model.predict(x)",
        "pass",
        "if ready:",
        "    pass",
        "    pass",
        "    model.fit(x, y)",
        "rate = 10 % 3",
        "print('%time', \"!ls\")",
    ]
    assert changed == 12


def test_cell_magics_keep_a_python_body_and_drop_any_other() -> None:
    assert python_lines("%%time\nx = 1\n%time y = 2") == (["pass", "x = 1", "y = 2"], 2)
    assert python_lines("%%bash\necho hi\nx = = 1") == (["pass", "pass", "pass"], 3)
    assert python_lines("%%writefile util.py\ndef f(): pass") == (["pass", "pass"], 2)
    assert python_lines("") == ([], 0)


def test_cells_map_back_from_the_notebook_script() -> None:
    source = notebook_source(_notebook("a = 1\nb = 2", "", "%%time\nc = 3"))
    assert source.text == "a = 1\nb = 2\npass\nc = 3\n"
    assert [(c.number, c.first_line, c.line_count) for c in source.cells] == [
        (2, 1, 2),
        (3, 3, 0),
        (4, 3, 2),
    ]
    assert [source.locate(line) for line in (0, 1, 2, 3, 4, 5)] == [
        None,
        (2, 1),
        (2, 2),
        (4, 1),
        (4, 2),
        None,
    ]
    assert source.relabel_lines("fit() at line 4, see line 9") == (
        "fit() at line 2 of cell 4, see line 9"
    )


# -- the demo's notebook twin ------------------------------------------------------------------


def test_the_demo_notebook_is_the_demo_script_split_into_cells() -> None:
    notebook = read_notebook(DEMO_NOTEBOOK)
    script = DEMO_SCRIPT.read_text(encoding="utf-8")
    assert notebook.rewritten == 0
    assert len(notebook.cells) == 4
    assert [line for line in notebook.text.splitlines() if line] == [
        line for line in script.splitlines() if line
    ]


def test_static_findings_on_the_notebook_equal_the_scripts_located_by_cell() -> None:
    script, notebook = _static(DEMO_SCRIPT), _static(DEMO_NOTEBOOK)
    assert len(notebook) == len(script) == 7
    assert [_same_finding(f) for f in notebook] == [_same_finding(f) for f in script]
    assert all(f.cell is not None and f.cell >= 2 for f in notebook)  # cell 1 is markdown
    assert [_located_line(f) for f in notebook] == [_located_line(f) for f in script]
    seed = next(f for f in notebook if f.code == "T109")
    assert (seed.cell, seed.line) == (5, 4)
    assert seed.message.startswith("training at line 4 of cell 5 runs with no random seed")


def test_the_static_check_reads_the_magics_notebook() -> None:
    findings = _static(MAGICS)
    assert [(f.code, f.cell, f.line, f.col) for f in findings] == [("M301", 7, 4, 9)]


def test_every_format_locates_a_finding_by_cell(tmp_path: Path) -> None:
    code, text = run("--static", "--select", "T109", str(DEMO_NOTEBOOK))
    assert code == 0
    assert "fixtures/demo/train.ipynb:cell 5:4:1 T109 [warning]" in text

    out = tmp_path / "report.json"
    run(
        "--static", "--select", "T109", "--format", "json", "--output", str(out), str(DEMO_NOTEBOOK)
    )
    location = json.loads(out.read_text())["findings"][0]["location"]
    assert (location["cell"], location["line"], location["column"]) == (5, 4, 1)

    run(
        "--static",
        "--select",
        "T109",
        "--format",
        "sarif",
        "--output",
        str(out),
        str(DEMO_NOTEBOOK),
    )
    place = json.loads(out.read_text())["runs"][0]["results"][0]["locations"][0]
    assert place["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 1, "endLine": 11}
    assert place["logicalLocations"] == [
        {"name": "cell 5", "fullyQualifiedName": "fixtures/demo/train.ipynb:cell 5:4:1"}
    ]
    assert place["properties"] == {"cell": 5}

    _, github = run("--static", "--select", "T109", "--format", "github", str(DEMO_NOTEBOOK))
    assert github.startswith("::warning file=fixtures/demo/train.ipynb,title=T109 ")
    assert "::cell 5, line 4: training at line 4 of cell 5" in github

    _, junit = run("--static", "--select", "T109", "--format", "junit", str(DEMO_NOTEBOOK))
    assert 'name="T109 missing-random-seed (cell 5, line 4)"' in junit


def test_a_suppression_comment_in_a_cell_silences_its_line(tmp_path: Path) -> None:
    cells = [
        "from tensorflow import keras",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])",
        "model.compile('adam', 'mse')\nmodel.fit(x, y, epochs=3)  # nncheck: ignore[T109]",
    ]
    quiet = _write(tmp_path / "quiet.ipynb", *cells)
    loud = _write(tmp_path / "loud.ipynb", *cells[:2], cells[2].split("  #")[0])
    assert "T109" not in {f.code for f in _static(quiet)}
    assert [(f.cell, f.line) for f in _static(loud) if f.code == "T109"] == [(4, 2)]


def test_a_directory_search_finds_notebooks_beside_scripts(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import keras\n")
    _write(tmp_path / "explore.ipynb", "import keras")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    _write(tmp_path / ".ipynb_checkpoints" / "explore-checkpoint.ipynb", "import keras")
    targets = collect_targets([tmp_path], static=True)
    assert [t.path.name for t in targets] == ["explore.ipynb", "train.py"]


def test_a_baseline_recognises_a_notebooks_finding(tmp_path: Path) -> None:
    notebook = _write(
        tmp_path / "train.ipynb",
        "from tensorflow import keras",
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
        "model.compile('adam', 'mse')\nmodel.fit(x, y, epochs=3)",
    )
    baseline = tmp_path / "baseline.json"
    assert run("--static", "--write-baseline", str(baseline), str(notebook))[0] == 0
    code, text = run("--static", "--baseline", str(baseline), str(notebook))
    assert code == 0
    assert "No findings in 1 file" in text


# -- notebooks nncheck cannot check --------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "the notebook is not valid JSON (line 1, column 12)"),
        ('{"nbformat": 3, "worksheets": []}', "the notebook is in the old nbformat 3"),
        ('{"nbformat": 5, "cells": []}', "the notebook's format is nbformat 5"),
        ("[1, 2]", "not a Jupyter notebook: the JSON has no list of 'cells'"),
        (json.dumps(_notebook()), "the notebook has no code cells: nothing to check"),
    ],
)
def test_a_notebook_that_cannot_be_read_is_e006(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(content, encoding="utf-8")
    for mode in (["--static"], ["--timeout", "60"]):
        code, text = run(*mode, str(path))
        assert code == 2
        lines = [line for line in text.splitlines() if " E006 " in line]
        assert len(lines) == 1
        assert f"E006 [error] {message}" in lines[0]


def test_a_cell_without_its_type_or_text_is_named() -> None:
    document = _notebook("x = 1", "y = 2")
    document["cells"][2]["source"] = {"text": "y = 2"}  # type: ignore[index]
    with pytest.raises(NotebookError, match=r"^the notebook does not follow nbformat 4: cell 3's"):
        notebook_source(document)
    del document["cells"][1]["cell_type"]  # type: ignore[index]
    with pytest.raises(NotebookError, match=r"nbformat 4: cell 2 has no 'cell_type'$"):
        notebook_source(document)


def test_the_notebook_fixtures_are_valid_nbformat_4() -> None:
    for path in (DEMO_NOTEBOOK, MAGICS):
        nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))


def test_a_cell_that_does_not_parse_is_e001_in_that_cell(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.ipynb", "import keras", "x = (1,\n  2\ndef f(:")
    [finding] = _static(path)
    assert (finding.code, finding.cell) == ("E001", 3)


# -- the full check runs the code cells --------------------------------------------------------


@pytest.fixture(scope="module")
def full_checks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """The demo as script and as notebook, the magics notebook, and two that never train,
    checked in full (without the probes) in children forked from a server with Keras."""
    folder = tmp_path_factory.mktemp("notebooks")
    never = _write(folder / "never.ipynb", "import keras", "model = keras.Sequential()")
    failing = _write(
        folder / "failing.ipynb",
        "import numpy as np\nimport keras",
        "x = np.zeros((8, 3))\ny = load_labels()",
    )
    paths = {
        "script": DEMO_SCRIPT,
        "notebook": DEMO_NOTEBOOK,
        "magics": MAGICS,
        "never": never,
        "failing": failing,
    }

    def check(path: Path) -> list[Finding]:
        options = RunOptions(timeout=300.0)
        targets = collect_targets([path], static=False, capture=options)
        return check_targets(targets, select_rules(None, ())).findings

    with forked_children(), ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(check, paths.values()), strict=True))


def test_the_full_check_of_the_notebook_equals_the_scripts(full_checks) -> None:
    script, notebook = full_checks["script"], full_checks["notebook"]
    assert {f.code for f in script} == {
        "D101", "D201", "M201", "M301", "T101", "T103", "T104", "T105", "T108", "T109"
    }  # fmt: skip
    assert [_same_finding(f) for f in notebook] == [_same_finding(f) for f in script]
    assert [_located_line(f) for f in notebook if f.line] == [
        _located_line(f) for f in script if f.line
    ]
    bias = next(f for f in notebook if f.code == "M201")
    assert (bias.cell, bias.line) == (4, 7)
    assert "(line 7 of cell 4)" in bias.message


def test_the_full_check_runs_magics_notebooks_cells(full_checks) -> None:
    # %env, %%time and `%time model.fit(...)` ran; the T105 suppression in the cell holds
    assert [(f.code, f.cell, f.line) for f in full_checks["magics"]] == [("M301", 7, 4)]


def test_a_notebook_that_never_trains_is_e004(full_checks) -> None:
    [finding] = full_checks["never"]
    assert finding.code == "E004"
    assert finding.message.startswith("the script ended without training")


def test_a_failing_cell_is_e002_at_its_line(full_checks) -> None:
    [finding] = full_checks["failing"]
    assert (finding.code, finding.cell, finding.line) == ("E002", 3, 2)
    assert "NameError: name 'load_labels' is not defined" in finding.message
