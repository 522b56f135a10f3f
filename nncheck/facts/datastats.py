"""Statistics of a bounded data sample, computed with NumPy only (no framework).

Adapters hand over NumPy arrays (a sample of at most ``--max-samples`` rows); this module turns
them into the InputStats / TargetStats that the data rules judge.
"""

from __future__ import annotations

import hashlib

import numpy as np

from nncheck.facts.live import FeatureStats, InputStats, TargetStats, ValueStats

MAX_FEATURES = 512
MAX_DISTINCT = 1000
MAX_CLASSES = 1000


def sample_indices(length: int, max_samples: int, seed: int = 0) -> np.ndarray | None:
    """Random row indices (sorted) when ``length`` exceeds ``max_samples``; None for all rows.

    A random sample, not the first rows: data sorted by label would otherwise look like one
    class.
    """
    if length <= max_samples:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(length, size=max_samples, replace=False))


def _finite_stats(values: np.ndarray) -> tuple[float, float, float, float, int, int]:
    flat = values.reshape(-1)
    if flat.dtype.kind in "fc":
        nan = int(np.isnan(flat).sum())
        inf = int(np.isinf(flat).sum())
        finite = flat[np.isfinite(flat)] if nan or inf else flat
    else:
        nan = inf = 0
        finite = flat
    if finite.size == 0:
        return (float("nan"),) * 4 + (nan, inf)
    finite = finite.astype(np.float64, copy=False)
    return (
        float(finite.min()),
        float(finite.max()),
        float(finite.mean()),
        float(finite.std()),
        nan,
        inf,
    )


def _fill_range(stats: ValueStats, values: np.ndarray) -> None:
    """Set min, max, mean, std and the NaN / Inf counts of ``stats`` from ``values``."""
    stats.min, stats.max, stats.mean, stats.std, stats.nan, stats.inf = _finite_stats(values)


def _is_integer_valued(values: np.ndarray) -> bool:
    if values.dtype.kind in "iub":
        return True
    if values.dtype.kind != "f":
        return False
    probe = values.reshape(-1)[:200_000]
    probe = probe[np.isfinite(probe)]
    return bool(probe.size) and bool(np.all(probe == np.round(probe)))


def input_stats(name: str, values: np.ndarray) -> InputStats:
    """Shape, dtype, range and (for tabular inputs) per-feature statistics of one input."""
    values = np.asarray(values)
    stats = InputStats(name=name, shape=list(values.shape[1:]), dtype=str(values.dtype))
    if values.dtype.kind not in "biuf" or values.size == 0:
        return stats
    _fill_range(stats, values)
    stats.integer_valued = _is_integer_valued(values)
    if values.ndim == 2 and values.shape[1] <= MAX_FEATURES:
        for index in range(values.shape[1]):
            column = values[:, index]
            c_low, c_high, c_mean, c_std, _, _ = _finite_stats(column)
            distinct = int(np.unique(column[:50_000]).size) if column.size else 0
            stats.features.append(
                FeatureStats(
                    index=index,
                    mean=c_mean,
                    std=c_std,
                    min=c_low,
                    max=c_high,
                    integer=_is_integer_valued(column),
                    distinct=min(distinct, MAX_DISTINCT),
                )
            )
    return stats


def target_stats(name: str, values: np.ndarray) -> TargetStats:
    """What kind of labels these are (binary, sparse, one-hot, multi-hot, continuous)."""
    values = np.asarray(values)
    stats = TargetStats(name=name, shape=list(values.shape[1:]), dtype=str(values.dtype))
    if values.dtype.kind not in "biuf" or values.size == 0:
        return stats
    _fill_range(stats, values)
    stats.counted_on = int(values.shape[0])
    low, high = stats.min, stats.max
    column = values.reshape(values.shape[0], -1) if values.ndim > 1 else values[:, None]
    integer = _is_integer_valued(values)
    if column.shape[1] == 1:
        flat = column[:, 0]
        flat = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
        if not integer:
            stats.kind = "continuous"
            return stats
        labels, counts = np.unique(flat, return_counts=True)
        if labels.size > MAX_CLASSES:
            stats.kind = "continuous"
            return stats
        stats.kind = "binary" if set(labels.tolist()) <= {0, 1} else "sparse"
        stats.classes = {_label(v): int(c) for v, c in zip(labels, counts, strict=True)}
        return stats
    if integer and low is not None and high is not None and low >= 0 and high <= 1:
        sums = column.sum(axis=1)
        stats.kind = "one_hot" if np.all(sums == 1) else "multi_hot"
        positives = column.sum(axis=0)
        stats.classes = {str(i): int(c) for i, c in enumerate(positives)}
        return stats
    stats.kind = "continuous"
    return stats


def _label(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else str(number)


def row_hashes(values: np.ndarray) -> list[int]:
    """A 64-bit hash per row, to find duplicates and train/validation overlap cheaply."""
    values = np.ascontiguousarray(values)
    if values.size == 0:
        return []
    rows = values.reshape(values.shape[0], -1) if values.ndim > 1 else values[:, None]
    return [
        int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
        for row in rows
    ]
