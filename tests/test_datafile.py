"""Data files: streamed statistics equal the in-memory ones; bad files get one clear E006."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nncheck.cli import main
from nncheck.facts import datafile

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def _frame(rows: int = 5000, positives: float = 0.5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(0, 1, rows),
            "income": rng.normal(0, 1, rows),
            "visits": rng.normal(0, 1, rows),
            "city": rng.choice(["paris", "lyon"], rows),
            "churn": (rng.random(rows) < positives).astype(int),
        }
    )


@pytest.fixture
def many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datafile, "BLOCK_BYTES", 4096)  # ~60 rows per CSV block
    monkeypatch.setattr(datafile, "PARQUET_ROWS", 97)


def test_streamed_statistics_equal_the_whole_table(tmp_path: Path, many_chunks: None) -> None:
    frame = _frame(positives=0.1)
    frame.loc[[3, 400, 4000], "visits"] = np.nan
    frame["income"] = frame["income"] * 1000 + 5e4
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    facts = datafile.read_facts(path, "churn", max_samples=500)
    assert (facts.rows, facts.samples, facts.truncated) == (5000, 500, True)
    stats = facts.inputs[0]
    assert [f.name for f in stats.features] == ["age", "income", "visits"]  # text left out
    for feature, column in zip(stats.features, ["age", "income", "visits"], strict=True):
        values = frame[column].to_numpy()
        assert feature.mean == pytest.approx(np.nanmean(values), rel=1e-9)
        assert feature.std == pytest.approx(np.nanstd(values), rel=1e-9)
        assert (feature.min, feature.max) == (np.nanmin(values), np.nanmax(values))
    assert stats.nan == 3
    target = facts.targets[0]
    assert target.kind == "binary"
    assert target.classes == {str(k): int(v) for k, v in frame.churn.value_counts().items()}
    assert len(set(facts.input_hashes)) == 500  # distinct sampled rows


def test_the_sample_is_uniform_over_the_file(tmp_path: Path, many_chunks: None) -> None:
    frame = pd.DataFrame({"row": np.arange(20_000, dtype=float), "y": 0})
    path = tmp_path / "sorted.parquet"
    frame.to_parquet(path)
    acc_rows = datafile.read_facts(path, "y", max_samples=1000).inputs[0].features[0]
    assert acc_rows.mean == pytest.approx(9999.5)
    table = datafile.open_table(path, "y")
    accumulator = datafile._Accumulator(table.feature_names, table.label, 1000)
    rng = np.random.default_rng(0)
    for chunk in table.chunks:
        accumulator.add(chunk, rng)
    sampled = np.sort(accumulator.sample[:, 0])
    assert len(np.unique(sampled)) == 1000
    # Sorted data: a head-of-file sample would have a median near 500, not 10,000.
    assert 8_500 < np.median(sampled) < 11_500
    assert sampled.min() < 1_000 and sampled.max() > 19_000


def test_data_only_check_of_an_imbalanced_unscaled_file(tmp_path: Path) -> None:
    frame = _frame(positives=0.03)
    frame["income"] = frame["income"] * 15_000 + 50_000
    frame["const"] = 1.0
    frame.loc[7, "age"] = np.inf
    path = tmp_path / "churn.csv"
    frame.to_csv(path, index=False)
    code, report = run(str(path), "--label", "churn")
    assert code == 1  # D105 is an error
    assert sorted(f["code"] for f in report["findings"]) == ["D101", "D105", "D201", "D206"]
    by_code = {f["code"]: f for f in report["findings"]}
    counts = frame.churn.value_counts()
    assert f"class 1 has {counts[1]:,} of 5,000 samples" in by_code["D101"]["message"]
    assert "'income'" in by_code["D201"]["message"] and "'age'" not in by_code["D201"]["message"]
    assert "'const'" in by_code["D206"]["message"]
    assert "1 Inf" in by_code["D105"]["message"]


def test_a_clean_file_has_no_findings_and_model_rules_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "clean.parquet"
    _frame().to_parquet(path)
    code, report = run(str(path), "--label", "churn")
    assert (code, report["findings"]) == (0, [])
    skipped = {s["code"]: s["reason"] for s in report["skipped"]}
    assert "a data file alone has no model" in skipped["M102"]


def test_npz_with_an_x_and_a_y_array(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    labels = np.array([0] * 980 + [1] * 20)
    np.savez(path, x=rng.random((1000, 4, 4)).astype("float32"), y=labels)
    code, report = run(str(path))
    assert (code, [f["code"] for f in report["findings"]]) == (0, ["D101"])


@pytest.mark.parametrize(
    ("name", "write", "label", "message"),
    [
        ("empty.csv", lambda p: p.write_text(""), "y", "cannot read it as CSV: Empty CSV file"),
        ("header.csv", lambda p: p.write_text("a,b,y\n"), "y", "the file has no data rows"),
        ("cols.csv", lambda p: p.write_text("a,b\n1,2\n"), "y", "no column 'y' (columns: a, b)"),
        ("nolabel.csv", lambda p: p.write_text("a,y\n1,2\n"), None, "--label COLUMN"),
        (
            "ragged.csv",
            lambda p: p.write_text("a,y\n1,0\n2,1,9\n"),
            "y",
            "cannot read it as CSV",
        ),
        (
            "nested.parquet",
            lambda p: pd.DataFrame({"a": [[1, 2], [3]], "y": [0, 1]}).to_parquet(p),
            "y",
            "column 'a' is nested (list<element: int64>)",
        ),
        ("bad.parquet", lambda p: p.write_bytes(b"PAR1garbage"), "y", "cannot read it as PARQUET"),
        (
            "one.npz",
            lambda p: np.savez(p, features=np.zeros((3, 2))),
            "y",
            "no array 'y' (arrays: features)",
        ),
    ],
)
def test_unusable_data_files_are_one_e006_and_exit_2(
    tmp_path: Path, name: str, write: object, label: str | None, message: str
) -> None:
    path = tmp_path / name
    write(path)  # type: ignore[operator]
    code, report = run(str(path), *(["--label", label] if label else []))
    assert code == 2
    assert [f["code"] for f in report["findings"]] == ["E006"]
    assert message in report["findings"][0]["message"]
    assert "\n" not in report["findings"][0]["message"]


def test_csv_blocks_end_at_records_even_with_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    rows = [f'{i},"line one\nline ""two"" of {i}",{i % 2}' for i in range(300)]
    path.write_text("id,note,y\n" + "\n".join(rows) + "\n")
    blocks = list(datafile.record_blocks(path, 64))
    assert len(blocks) > 10 and b"".join(blocks) == path.read_bytes()
    assert all(block.count(b'"') % 2 == 0 and block.endswith(b"\n") for block in blocks)
    facts = datafile.read_facts(path, "y", max_samples=50)
    assert (facts.rows, facts.targets[0].classes) == (300, {"0": 150, "1": 150})


def test_static_mode_and_misplaced_options_are_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,0\n")
    script = tmp_path / "train.py"
    script.write_text("print('hi')\n")
    for args, expected in [
        (["--static", str(path)], "--static reads Python source"),
        ([str(script), "--label", "y"], "--label names a data file's label column"),
        ([str(script), "--data", str(path)], "--data goes with a saved model"),
    ]:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and expected in result.stderr
