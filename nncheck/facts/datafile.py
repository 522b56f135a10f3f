"""Data files (CSV, Parquet, NPZ) read in chunks into the same DataFacts a capture produces.

``nncheck data.csv --label y`` runs the data rules on a file alone, and ``--data`` gives a
saved model its data. The file is streamed: per-column counts, NaN/Inf, range, mean and
variance are merged chunk by chunk (Chan's parallel update), the label is counted exactly
over every row, and a uniform random sample of ``--max-samples`` rows (priority sampling:
keep the rows with the smallest random keys) feeds the rules that need rows (duplicates,
distinct values). Memory is one chunk plus the sample, whatever the file's size.

CSV and Parquet are read with pyarrow (multithreaded parsing, nested types detected); no
framework is imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nncheck.facts import FactStore, RunFailure
from nncheck.facts import datastats as ds
from nncheck.facts.live import DataFacts, FeatureStats, InputStats, TargetStats
from nncheck.findings import Violation

DATA_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq", ".npz"}
BLOCK_BYTES = 16 << 20  # CSV bytes parsed per chunk
PARQUET_ROWS = 262_144


class DataFileError(ValueError):
    """The data file cannot be used; the message is one line for the user."""


@dataclass
class Chunk:
    features: np.ndarray  # rows x numeric features, float64 (NaN for missing)
    label: np.ndarray  # rows (numbers, or strings for a text label)


@dataclass
class Table:
    """A data file opened for streaming: its numeric feature names and its chunks."""

    feature_names: list[str]
    text_columns: list[str]
    chunks: Iterator[Chunk]


@dataclass
class _Moments:
    """Per-column count, mean and sum of squared deviations, merged chunk by chunk."""

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def empty(cls, width: int) -> _Moments:
        return cls(np.zeros(width), np.zeros(width), np.zeros(width))

    def add(self, values: np.ndarray) -> None:
        finite = np.isfinite(values)
        count = finite.sum(axis=0).astype(np.float64)
        safe = np.where(finite, values, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), 0.0)
            m2 = (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0)
            total = self.count + count
            delta = mean - self.mean
            self.mean = np.where(total > 0, self.mean + delta * count / np.maximum(total, 1), 0)
            self.m2 = self.m2 + m2 + delta**2 * self.count * count / np.maximum(total, 1)
        self.count = total

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / np.maximum(self.count, 1))


@dataclass
class _Accumulator:
    width: int
    max_samples: int
    rows: int = 0
    moments: _Moments = field(init=False)
    low: np.ndarray = field(init=False)
    high: np.ndarray = field(init=False)
    nan: np.ndarray = field(init=False)
    inf: np.ndarray = field(init=False)
    integer: np.ndarray = field(init=False)
    label_counts: Counter[object] = field(default_factory=Counter)
    label_moments: _Moments = field(default_factory=lambda: _Moments.empty(1))
    label_low: float = np.inf
    label_high: float = -np.inf
    label_nan: int = 0
    label_integer: bool = True
    too_many_labels: bool = False
    keys: np.ndarray = field(default_factory=lambda: np.empty(0))
    sample: np.ndarray = field(init=False)
    sample_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.moments = _Moments.empty(self.width)
        self.low = np.full(self.width, np.inf)
        self.high = np.full(self.width, -np.inf)
        self.nan = np.zeros(self.width, dtype=np.int64)
        self.inf = np.zeros(self.width, dtype=np.int64)
        self.integer = np.ones(self.width, dtype=bool)
        self.sample = np.empty((0, self.width))

    def add(self, chunk: Chunk, rng: np.random.Generator) -> None:
        values, label = chunk.features, chunk.label
        self.rows += len(label)
        if self.width and len(values):
            finite = np.isfinite(values)
            self.nan += np.isnan(values).sum(axis=0)
            self.inf += np.isinf(values).sum(axis=0)
            self.low = np.minimum(self.low, np.where(finite, values, np.inf).min(axis=0))
            self.high = np.maximum(self.high, np.where(finite, values, -np.inf).max(axis=0))
            self.integer &= np.all(~finite | (values == np.round(values)), axis=0)
            self.moments.add(values)
        self._add_label(label)
        self._sample(values, label, rng)

    def _add_label(self, label: np.ndarray) -> None:
        if label.dtype.kind in "fiub":
            numbers = label.astype(np.float64, copy=False)
            finite = np.isfinite(numbers)
            self.label_nan += int((~finite).sum())
            numbers = numbers[finite]
            if numbers.size:
                self.label_low = min(self.label_low, float(numbers.min()))
                self.label_high = max(self.label_high, float(numbers.max()))
                self.label_moments.add(numbers[:, None])
                self.label_integer &= bool(np.all(numbers == np.round(numbers)))
            if not self.label_integer or self.too_many_labels:
                return
            uniques, counts = np.unique(numbers, return_counts=True)
        else:
            uniques, counts = np.unique(label.astype(str), return_counts=True)
        self.label_counts.update(dict(zip(uniques.tolist(), counts.tolist(), strict=True)))
        if len(self.label_counts) > ds.MAX_CLASSES:
            self.too_many_labels = True
            self.label_counts.clear()

    def _sample(self, values: np.ndarray, label: np.ndarray, rng: np.random.Generator) -> None:
        keys = rng.random(len(label))
        if len(self.keys) >= self.max_samples:
            keep = keys < self.keys.max()
            keys, values, label = keys[keep], values[keep], label[keep]
        keys = np.concatenate([self.keys, keys])
        sample = np.concatenate([self.sample, values])
        labels = (
            label if self.sample_labels is None else np.concatenate([self.sample_labels, label])
        )
        if len(keys) > self.max_samples:
            best = np.argpartition(keys, self.max_samples - 1)[: self.max_samples]
            keys, sample, labels = keys[best], sample[best], labels[best]
        self.keys, self.sample, self.sample_labels = keys, sample, labels


def open_table(path: Path, label: str | None) -> Table:
    """Open ``path`` for streaming by its suffix; DataFileError with one line otherwise."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _open_npz(path, label or "y")
    if label is None:
        raise DataFileError(f"{path}: name the label column with --label COLUMN")
    try:
        import pyarrow as pa
    except ImportError:
        raise DataFileError(
            "reading CSV and Parquet needs pyarrow: pip install 'nncheck[data]'"
        ) from None
    try:
        if suffix in {".parquet", ".pq"}:
            return _open_parquet(path, label, pa)
        return _open_csv(path, label, pa, "\t" if suffix == ".tsv" else ",")
    except pa.ArrowException as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataFileError(f"{path}: cannot read it as {suffix[1:].upper()}: {first}") from None


def _columns(path: Path, schema: object, label: str, pa: object) -> tuple[list[str], list[str]]:
    names = list(schema.names)  # type: ignore[attr-defined]
    if label not in names:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataFileError(f"{path}: no column {label!r} (columns: {shown})")
    numeric, text = [], []
    for column in schema:  # type: ignore[attr-defined]
        kind = column.type
        if pa.types.is_nested(kind):  # type: ignore[attr-defined]
            raise DataFileError(
                f"{path}: column {column.name!r} is nested ({kind}); nncheck reads flat "
                "tables: flatten or drop it first"
            )
        if column.name == label:
            continue
        is_number = pa.types.is_integer(kind) or pa.types.is_floating(kind)  # type: ignore[attr-defined]
        if is_number or pa.types.is_boolean(kind) or pa.types.is_null(kind):  # type: ignore[attr-defined]
            numeric.append(column.name)
        else:
            text.append(column.name)
    return numeric, text


def _arrow_chunks(batches: Iterator[object], numeric: list[str], label: str) -> Iterator[Chunk]:
    for batch in batches:
        if batch.num_rows == 0:  # type: ignore[attr-defined]
            continue
        columns = [
            batch.column(name).to_numpy(zero_copy_only=False).astype(np.float64)  # type: ignore[attr-defined]
            for name in numeric
        ]
        features = np.column_stack(columns) if columns else np.empty((batch.num_rows, 0))  # type: ignore[attr-defined]
        target = batch.column(label).to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
        if target.dtype == object:
            target = np.array([np.nan if v is None else v for v in target])
        yield Chunk(features, target)


def _open_csv(path: Path, label: str, pa: object, delimiter: str) -> Table:
    from pyarrow import csv

    read = csv.ReadOptions(block_size=BLOCK_BYTES)
    parse = csv.ParseOptions(delimiter=delimiter)
    with csv.open_csv(path, read_options=read, parse_options=parse) as probe:
        schema = probe.schema
    numeric, text = _columns(path, schema, label, pa)
    # Every numeric column as float64: a column whose first block looked like integers must
    # not fail on a later "1.5".
    types = {name: pa.float64() for name in numeric}  # type: ignore[attr-defined]
    convert = csv.ConvertOptions(column_types=types)
    reader = csv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    return Table(numeric, text, _arrow_chunks(iter(reader), numeric, label))


def _open_parquet(path: Path, label: str, pa: object) -> Table:
    from pyarrow import parquet

    handle = parquet.ParquetFile(path)
    numeric, text = _columns(path, handle.schema_arrow, label, pa)
    batches = handle.iter_batches(batch_size=PARQUET_ROWS, columns=[*numeric, label])
    return Table(numeric, text, _arrow_chunks(batches, numeric, label))


def _open_npz(path: Path, label: str) -> Table:
    try:
        archive = np.load(path, allow_pickle=False)  # never unpickle objects from a file
    except (OSError, ValueError) as error:
        raise DataFileError(f"{path}: cannot read it as NPZ: {error}") from None
    names = list(archive.files)
    if label not in names:
        raise DataFileError(f"{path}: no array {label!r} (arrays: {', '.join(names)})")
    features = [n for n in names if n != label]
    if len(features) != 1:
        raise DataFileError(
            f"{path}: expected one input array beside {label!r}, found {features or 'none'}"
        )
    x, y = archive[features[0]], archive[label]
    if len(x) != len(y):
        raise DataFileError(f"{path}: {features[0]!r} has {len(x)} rows, {label!r} {len(y)}")
    x = x.reshape(len(x), -1) if x.ndim != 2 else x

    def chunks() -> Iterator[Chunk]:
        for start in range(0, len(x), PARQUET_ROWS):
            block = x[start : start + PARQUET_ROWS].astype(np.float64)
            yield Chunk(block, y[start : start + PARQUET_ROWS])

    width = x.shape[1]
    return Table([f"{features[0]}[{i}]" for i in range(width)], [], chunks())


def read_facts(path: Path, label: str | None, max_samples: int, seed: int = 0) -> DataFacts:
    """Stream ``path`` once into DataFacts: exact counts, sampled rows."""
    table = open_table(path, label)
    accumulator = _Accumulator(len(table.feature_names), max_samples)
    rng = np.random.default_rng(seed)
    try:
        for chunk in table.chunks:
            accumulator.add(chunk, rng)
    except Exception as error:  # a malformed row halfway through a large file
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DataFileError(
            f"{path}: cannot read it past row {accumulator.rows:,}: {first}"
        ) from None
    if accumulator.rows == 0:
        raise DataFileError(f"{path}: the file has no data rows")
    return _facts(accumulator, table)


def _facts(acc: _Accumulator, table: Table) -> DataFacts:
    facts = DataFacts(source="file", samples=len(acc.keys), truncated=acc.rows > len(acc.keys))
    facts.rows = acc.rows
    stats = InputStats(name="x", shape=[acc.width], dtype="float64")
    if acc.width:
        finite_low = acc.low[np.isfinite(acc.low)]
        finite_high = acc.high[np.isfinite(acc.high)]
        stats.min = float(finite_low.min()) if finite_low.size else None
        stats.max = float(finite_high.max()) if finite_high.size else None
        counted = acc.moments.count.sum()
        stats.mean = float((acc.moments.mean * acc.moments.count).sum() / max(counted, 1))
        stats.std = float(acc.moments.std.mean())
        stats.nan, stats.inf = int(acc.nan.sum()), int(acc.inf.sum())
        stats.integer_valued = bool(acc.integer.all())
        std = acc.moments.std
        for index, name in enumerate(table.feature_names[: ds.MAX_FEATURES]):
            column = acc.sample[:, index]
            distinct = np.unique(column[np.isfinite(column)]).size
            stats.features.append(
                FeatureStats(
                    index=index,
                    mean=float(acc.moments.mean[index]),
                    std=float(std[index]),
                    min=float(acc.low[index]),
                    max=float(acc.high[index]),
                    integer=bool(acc.integer[index]),
                    distinct=min(int(distinct), ds.MAX_DISTINCT),
                    name=name,
                )
            )
        facts.inputs = [stats]
        facts.input_hashes = ds.row_hashes(acc.sample)
    facts.targets = [_target(acc)]
    if acc.sample_labels is not None and acc.sample_labels.dtype.kind in "fiub":
        facts.target_hashes = ds.row_hashes(acc.sample_labels)
    return facts


def _target(acc: _Accumulator) -> TargetStats:
    labels = acc.sample_labels
    dtype = str(labels.dtype) if labels is not None else "unknown"
    target = TargetStats(name="y", shape=[], dtype=dtype, counted_on=acc.rows)
    target.nan = acc.label_nan
    if acc.label_low <= acc.label_high:
        target.min, target.max = acc.label_low, acc.label_high
        target.mean = float(acc.label_moments.mean[0])
        target.std = float(acc.label_moments.std[0])
    if acc.label_counts and not acc.too_many_labels and acc.label_integer:
        keys = [str(int(k)) if isinstance(k, float) else str(k) for k in acc.label_counts]
        numeric = target.min is not None
        if numeric:
            target.kind = "binary" if set(keys) <= {"0", "1"} else "sparse"
        else:
            target.kind = "binary" if len(keys) == 2 else "sparse"
        target.classes = dict(zip(keys, (int(c) for c in acc.label_counts.values()), strict=True))
    elif target.min is not None:
        target.kind = "continuous"
    return target


def provide_data(store: FactStore) -> DataFacts:
    """The ``data`` fact provider for a data file (or a saved model's ``--data`` file)."""
    target = store.target
    data_path = target.data_path or target.path
    try:
        return read_facts(data_path, target.label, target.max_samples)
    except DataFileError as error:
        message = str(error).removeprefix(f"{data_path}: ")
        shown = f"{data_path.name}: {message}" if target.data_path else message
        raise RunFailure("E006", Violation(shown)) from None
