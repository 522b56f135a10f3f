"""Every probe that applies runs on models that are hard to copy (a Lambda layer, a
subclassed model, a custom layer without get_config), on multi-output models with dict and
list targets, and on a custom training loop (each a fixture with its own findings)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import FIXTURES
from forked_children import forked_children

from nncheck.facts.capture import run_child
from nncheck.options import RunOptions

# fixture -> (how it is probed, the probes that do not apply and why)
CASES = {
    "x101_lambda_zeroes_input.py": ("copy", {"mixed_precision"}),
    "x105_subclassed_unscaled.py": ("in place", {"mixed_precision", "dead_units", "memory"}),
    "x110_layer_with_function_argument.py": ("in place", {"mixed_precision"}),
    "clean_multi_output_dict.py": ("copy", {"mixed_precision"}),
    "clean_multi_output_list.py": ("copy", {"mixed_precision"}),
    # the batch and keras.losses.Loss of the loop's first step, the optimizer it applies
    "t113_custom_loop_inference_mode.py": ("copy", {"mixed_precision", "throughput"}),
}
NOT_APPLICABLE = {
    "mixed_precision": "needs a GPU with Tensor Cores; the probes ran on the CPU",
    "dead_units": "the model has no ReLU layers whose outputs are visible",
    "memory": "the layers' outputs are not visible (a subclassed model's call()), so the "
    "activations a step keeps cannot be counted",
    "throughput": "a custom loop's input pipeline is not visible to nncheck",
}


@pytest.fixture(scope="module")
def probed() -> dict:
    def run(name: str) -> tuple[str, object]:
        options = RunOptions(timeout=300, probes=True, probe_budget=600)
        return name, run_child(FIXTURES / "live" / name, options).probes

    with forked_children(), ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("name", CASES)
def test_every_probe_that_applies_runs(name: str, probed: dict) -> None:
    cloning, not_applicable = CASES[name]
    probes = probed[name]
    assert probes.cloning == cloning
    statuses = {r.name: (r.status, r.reason) for r in probes.results}
    assert statuses == {
        probe: ("skipped", NOT_APPLICABLE[probe]) if probe in not_applicable else ("ok", "")
        for probe in statuses
    }
    assert len(statuses) == 9
