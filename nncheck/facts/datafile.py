"""Data files (CSV, Parquet, NPZ) read in chunks into the same DataFacts a capture produces.

``nncheck data.csv --label y`` runs the data rules on a file alone, and ``--data`` gives a
saved model its data. The file is streamed: per-column counts, NaN/Inf, range, mean and
variance are computed per chunk by pyarrow's compute kernels and merged (Chan's parallel
update), the label is counted exactly over every row, and a uniform random sample of
``--max-samples`` rows (priority sampling: keep the rows with the smallest random keys)
feeds the rules that need rows (duplicates, distinct values, whole-number features).
Memory is one chunk plus the sample, whatever the file's size.

A CSV is cut into blocks of whole records (a newline outside quotes) and each block is
parsed by pyarrow on every core: its streaming reader parses on one thread only, measured
3x slower on two cores. No framework is imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncheck.facts import FactStore, RunFailure
from nncheck.facts import datastats as ds
from nncheck.facts.live import DataFacts, FeatureStats, InputStats, TargetStats
from nncheck.findings import Violation

BLOCK_BYTES = 32 << 20  # CSV bytes parsed per chunk
PARQUET_ROWS = 1 << 20


class DataFileError(ValueError):
    """The data file cannot be used; the message is one line for the user."""


@dataclass
class Table:
    """A data file opened for streaming: its numeric feature columns and its chunks.

    Each chunk is a ``pyarrow.Table`` with the numeric features as float64 and the label.
    """

    feature_names: list[str]
    label: str
    chunks: Iterator[Any]
    text_columns: list[str] = field(default_factory=list)


@dataclass
class _Moments:
    """Per-column count, mean and sum of squared deviations, merged chunk by chunk."""

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def empty(cls, width: int) -> _Moments:
        return cls(np.zeros(width), np.zeros(width), np.zeros(width))

    def merge(self, count: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> None:
        total = self.count + count
        safe_total = np.maximum(total, 1)
        delta = mean - self.mean
        self.mean = self.mean + delta * count / safe_total
        self.m2 = self.m2 + variance * count + delta**2 * self.count * count / safe_total
        self.count = total

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / np.maximum(self.count, 1))


def _column_stats(column: Any, pc: Any) -> tuple[int, int, int, float, float, float, float]:
    """(finite count, NaN, Inf, min, max, mean, variance) of one float64 column."""
    missing = column.null_count
    finite_mask = pc.is_finite(column)
    non_finite = len(column) - missing - (pc.sum(finite_mask).as_py() or 0)
    nan = inf = 0
    if non_finite:
        inf = pc.sum(pc.is_inf(column)).as_py() or 0
        nan = non_finite - inf
        column = pc.filter(column, finite_mask)
    count = len(column) - column.null_count
    if count == 0:
        return 0, nan + missing, inf, np.inf, -np.inf, 0.0, 0.0
    extremes = pc.min_max(column).as_py()
    mean = pc.mean(column).as_py()
    variance = pc.variance(column, ddof=0).as_py()
    return count, nan + missing, inf, extremes["min"], extremes["max"], mean, variance


@dataclass
class _Accumulator:
    names: list[str]
    label: str
    max_samples: int
    rows: int = 0
    moments: _Moments = field(init=False)
    low: np.ndarray = field(init=False)
    high: np.ndarray = field(init=False)
    nan: np.ndarray = field(init=False)
    inf: np.ndarray = field(init=False)
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
        width = len(self.names)
        self.moments = _Moments.empty(width)
        self.low = np.full(width, np.inf)
        self.high = np.full(width, -np.inf)
        self.nan = np.zeros(width, dtype=np.int64)
        self.inf = np.zeros(width, dtype=np.int64)
        self.sample = np.empty((0, width))

    def add(self, table: Any, rng: np.random.Generator) -> None:
        import pyarrow.compute as pc

        self.rows += table.num_rows
        stats = np.array(
            [_column_stats(table[name], pc) for name in self.names], dtype=np.float64
        ).reshape(len(self.names), 7)
        count, nan, inf, low, high, mean, variance = stats.T
        self.nan += nan.astype(np.int64)
        self.inf += inf.astype(np.int64)
        self.low = np.minimum(self.low, low)
        self.high = np.maximum(self.high, high)
        self.moments.merge(count, mean, variance)
        self._add_label(table[self.label], pc)
        self._sample(table, rng)

    def _add_label(self, column: Any, pc: Any) -> None:
        import pyarrow as pa

        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            column = column.cast(pa.float64())
            count, nan, inf, low, high, mean, variance = _column_stats(column, pc)
            self.label_nan += nan + inf
            self.label_low, self.label_high = min(self.label_low, low), max(self.label_high, high)
            self.label_moments.merge(np.array([count]), np.array([mean]), np.array([variance]))
            if count:
                fraction = pc.not_equal(column, pc.floor(column))
                self.label_integer &= not pc.any(fraction).as_py()
            if not self.label_integer:
                return
        if self.too_many_labels:
            return
        counts = pc.value_counts(column.drop_null()).to_pylist()
        self.label_counts.update({entry["values"]: entry["counts"] for entry in counts})
        if len(self.label_counts) > ds.MAX_CLASSES:
            self.too_many_labels = True
            self.label_counts.clear()

    def _sample(self, table: Any, rng: np.random.Generator) -> None:
        import pyarrow as pa

        keys = rng.random(table.num_rows)
        full = len(self.keys) >= self.max_samples
        chosen = np.nonzero(keys < self.keys.max())[0] if full else np.arange(table.num_rows)
        if len(chosen) > self.max_samples:  # only this chunk's k smallest keys can stay
            chosen = np.sort(
                chosen[np.argpartition(keys[chosen], self.max_samples - 1)][: self.max_samples]
            )
        if not len(chosen):
            return
        indices = np.ascontiguousarray(chosen, dtype=np.int64)
        picked = table.take(
            pa.Array.from_buffers(pa.int64(), len(indices), [None, pa.py_buffer(indices)])
        )
        rows = np.empty((len(chosen), len(self.names)))
        for index, name in enumerate(self.names):
            rows[:, index] = picked[name].to_numpy(zero_copy_only=False)
        labels = picked[self.label].to_numpy(zero_copy_only=False)
        if labels.dtype == object:
            labels = np.array(["" if v is None else str(v) for v in labels])
        keys = np.concatenate([self.keys, keys[chosen]])
        sample = np.concatenate([self.sample, rows])
        labels = (
            labels if self.sample_labels is None else np.concatenate([self.sample_labels, labels])
        )
        if len(keys) > self.max_samples:
            best = np.argpartition(keys, self.max_samples - 1)[: self.max_samples]
            keys, sample, labels = keys[best], sample[best], labels[best]
        self.keys, self.sample, self.sample_labels = keys, sample, labels


def open_table(path: Path, label: str | None) -> Table:
    """Open ``path`` for streaming by its suffix; DataFileError with one line otherwise."""
    try:
        import pyarrow as pa
    except ImportError:
        raise DataFileError(
            "reading data files needs pyarrow: pip install 'nncheck[data]'"
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _open_npz(path, label or "y", pa)
    if label is None:
        raise DataFileError(f"{path}: name the label column with --label COLUMN")
    try:
        if suffix in {".parquet", ".pq"}:
            return _open_parquet(path, label, pa)
        return _open_csv(path, label, pa, "\t" if suffix == ".tsv" else ",")
    except pa.ArrowException as error:
        raise DataFileError(
            f"{path}: cannot read it as {suffix[1:].upper()}: {_first_line(error)}"
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _columns(path: Path, schema: Any, label: str, pa: Any) -> tuple[list[str], list[str]]:
    names = list(schema.names)
    if label not in names:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataFileError(f"{path}: no column {label!r} (columns: {shown})")
    numeric, text = [], []
    for column in schema:
        kind = column.type
        if pa.types.is_nested(kind):
            raise DataFileError(
                f"{path}: column {column.name!r} is nested ({kind}); nncheck reads flat "
                "tables: flatten or drop it first"
            )
        if column.name == label:
            continue
        number = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        if number or pa.types.is_boolean(kind) or pa.types.is_null(kind):
            numeric.append(column.name)
        else:
            text.append(column.name)
    return numeric, text


def _as_float(table: Any, numeric: list[str], pa: Any) -> Any:
    for name in numeric:
        if table.schema.field(name).type != pa.float64():
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, table[name].cast(pa.float64()))
    return table


def record_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """The file in blocks of about ``block_bytes`` that end at a record boundary.

    A boundary is a newline outside quotes: the number of ``"`` before it is even (an
    escaped quote is doubled, so it keeps the parity).
    """
    with path.open("rb") as handle:
        carry = b""
        while data := handle.read(block_bytes):
            cut = _last_boundary(data, quoted_before=carry.count(b'"') % 2 == 1)
            if cut < 0:
                carry += data
                continue
            yield carry + data[: cut + 1]
            carry = data[cut + 1 :]
        if carry:
            yield carry


def _last_boundary(block: bytes, quoted_before: bool = False) -> int:
    """The index of the last newline outside quotes in ``block`` (-1: none).

    ``quoted_before``: the text before ``block`` left a quoted field open.
    """
    cut = block.rfind(b"\n")
    if b'"' not in block:
        return -1 if quoted_before else cut
    quotes = block.count(b'"') + quoted_before
    while cut >= 0 and (quotes - block.count(b'"', cut)) % 2:
        cut = block.rfind(b"\n", 0, cut)
    return cut


def _open_csv(path: Path, label: str, pa: Any, delimiter: str) -> Table:
    from pyarrow import csv

    parse = csv.ParseOptions(delimiter=delimiter)
    blocks = record_blocks(path, BLOCK_BYTES)
    first = next(blocks, b"")
    if not first.strip():
        raise DataFileError(f"{path}: cannot read it as CSV: Empty CSV file")
    head_end = _last_boundary(first[: 1 << 20])
    head_bytes = first[: head_end + 1] if head_end >= 0 else first
    head = csv.read_csv(pa.py_buffer(head_bytes), parse_options=parse)
    numeric, text = _columns(path, head.schema, label, pa)
    # Every numeric column as float64: a column whose first rows looked like integers must
    # not fail on a later "1.5".
    convert = csv.ConvertOptions(
        column_types={name: pa.float64() for name in numeric},
        include_columns=[*numeric, label],
    )
    names = list(head.schema.names)

    def chunks() -> Iterator[Any]:
        yield csv.read_csv(pa.py_buffer(first), parse_options=parse, convert_options=convert)
        read = csv.ReadOptions(column_names=names)
        for block in blocks:
            yield csv.read_csv(
                pa.py_buffer(block), read_options=read, parse_options=parse, convert_options=convert
            )

    return Table(numeric, label, chunks(), text)


def _open_parquet(path: Path, label: str, pa: Any) -> Table:
    from pyarrow import parquet

    handle = parquet.ParquetFile(path)
    numeric, text = _columns(path, handle.schema_arrow, label, pa)

    def chunks() -> Iterator[Any]:
        for batch in handle.iter_batches(batch_size=PARQUET_ROWS, columns=[*numeric, label]):
            yield _as_float(pa.Table.from_batches([batch]), numeric, pa)

    return Table(numeric, label, chunks(), text)


def _open_npz(path: Path, label: str, pa: Any) -> Table:
    try:
        archive = np.load(path, allow_pickle=False)  # never unpickle objects from a file
    except (OSError, ValueError) as error:
        raise DataFileError(f"{path}: cannot read it as NPZ: {_first_line(error)}") from None
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
    x = x.reshape(len(x), -1)
    columns = [f"{features[0]}[{i}]" for i in range(x.shape[1])]
    rows = max(1, (16 << 20) // max(1, x.shape[1] * 8))

    def chunks() -> Iterator[Any]:
        for start in range(0, len(x), rows):
            block = np.asfortranarray(x[start : start + rows], dtype=np.float64)
            data = {name: block[:, i] for i, name in enumerate(columns)}
            data[label] = y[start : start + rows].reshape(-1)
            yield pa.table(data)

    return Table(columns, label, chunks())


def read_facts(path: Path, label: str | None, max_samples: int, seed: int = 0) -> DataFacts:
    """Stream ``path`` once into DataFacts: exact counts, sampled rows."""
    return read_with_sample(path, label, max_samples, seed)[0]


def read_with_sample(
    path: Path, label: str | None, max_samples: int, seed: int = 0
) -> tuple[DataFacts, np.ndarray, np.ndarray | None]:
    """DataFacts and the sampled rows themselves (features as float32, labels), for the
    probes of a saved model checked with its data."""
    table = open_table(path, label)
    accumulator = _Accumulator(table.feature_names, table.label, max_samples)
    rng = np.random.default_rng(seed)
    try:
        for chunk in table.chunks:
            accumulator.add(chunk, rng)
    except Exception as error:  # a malformed row halfway through a large file
        where = f"past row {accumulator.rows:,}" if accumulator.rows else f"as {path.suffix[1:]}"
        raise DataFileError(f"{path}: cannot read it {where}: {_first_line(error)}") from None
    if accumulator.rows == 0:
        raise DataFileError(f"{path}: the file has no data rows")
    order = np.argsort(accumulator.keys)  # the sample in random order, not file order
    features = accumulator.sample[order].astype(np.float32)
    labels = accumulator.sample_labels[order] if accumulator.sample_labels is not None else None
    return _facts(accumulator, table), features, labels


def _facts(acc: _Accumulator, table: Table) -> DataFacts:
    facts = DataFacts(source="file", samples=len(acc.keys), truncated=acc.rows > len(acc.keys))
    facts.rows = acc.rows
    width = len(acc.names)
    stats = InputStats(name="x", shape=[width], dtype="float64")
    if width:
        finite = np.isfinite(acc.sample)
        integer = np.all(~finite | (acc.sample == np.round(acc.sample)), axis=0)
        finite_low = acc.low[np.isfinite(acc.low)]
        finite_high = acc.high[np.isfinite(acc.high)]
        stats.min = float(finite_low.min()) if finite_low.size else None
        stats.max = float(finite_high.max()) if finite_high.size else None
        counted = acc.moments.count.sum()
        stats.mean = float((acc.moments.mean * acc.moments.count).sum() / max(counted, 1))
        stats.std = float(acc.moments.std.mean())
        stats.nan, stats.inf = int(acc.nan.sum()), int(acc.inf.sum())
        stats.integer_valued = bool(integer.all())
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
                    integer=bool(integer[index]),
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
        return read_facts(data_path, target.label, target.options.max_samples)
    except DataFileError as error:
        message = str(error).removeprefix(f"{data_path}: ")
        shown = f"{data_path.name}: {message}" if target.data_path else message
        raise RunFailure("E006", Violation(shown)) from None
