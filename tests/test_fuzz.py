"""The fuzz harness, a few seeds: nncheck on generated valid Keras setups never crashes,
hangs, loses a probe, leaves files behind or claims that a valid first step raises.
bench/fuzz.py runs many more."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fuzz_setups import check_setup, generate

# Seeds chosen to cover the shapes the generator draws: subclassed models (3, 5), a
# GradientTape loop (3), a PyDataset (5, 29), train_on_batch (7), dict outputs from a
# generator (11), list outputs (29).
SEEDS = (3, 5, 7, 11, 29)


def test_the_generator_covers_its_dimensions_over_a_few_hundred_seeds() -> None:
    choices = [generate(seed).choices for seed in range(300)]
    for dimension in ("head", "style", "training", "container"):
        assert len({c[dimension] for c in choices}) >= 3, dimension


def test_nncheck_handles_generated_setups() -> None:
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(check_setup, SEEDS))
    assert [(o.seed, o.problems) for o in outcomes if o.problems] == []
