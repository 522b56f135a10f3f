"""When a probe stops: it does not apply (Skip), the user's own step raises (UsersStepFails),
or the --probe-budget safety limit is reached (OverBudget, raised by Budget.check)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nncheck.facts.live import ProbeResult, describe_internal_error
from nncheck.facts.probe_results import ProbeValues, Stopped
from nncheck.formatting import fmt_bytes
from nncheck.options import DEFAULTS

THROUGHPUT_STEPS = 20  # timed rounds of the throughput probe (after two warm-up rounds)
COPY_SHARE = 0.5  # the most of the free memory a probe's copy may take (activations, margin)


class Skip(Exception):
    """The probe does not apply to this setup; the message says why."""


class UsersStepFails(Skip):
    """The script's own model raises in Keras' step on this data: the first training step
    would fail the same way (the model and data rules name why); not nncheck's failure."""


def available_memory() -> int | None:
    """Host memory free for the probes: what Linux says is available without swapping;
    None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def check_room(
    weight_bytes: float, optimizer: str, slots: int, free: int | None, where: str
) -> None:
    """Skip, with both numbers, when a trained copy of the model (its weights, gradients and
    ``slots`` optimizer tensors per weight) would take more than COPY_SHARE of the ``free``
    memory of ``where`` ("CPU", "GPU"): a model too large to probe beside itself is not
    swapped, or killed, for it."""
    needed = weight_bytes * (2 + slots)
    if free is not None and needed > COPY_SHARE * free:
        raise Skip(
            f"a copy of the model with its gradients and {optimizer}'s state needs about "
            f"{fmt_bytes(needed)} and {fmt_bytes(free)} of {where} memory is free"
        )


@contextlib.contextmanager
def users_step() -> Iterator[None]:
    """Around Keras' own step on the script's model and data: an exception there is the
    setup's (labels that do not fit the loss, a layer that cannot run), not a probe's bug."""
    try:
        yield
    except (Skip, OverBudget):
        raise
    except Exception as error:
        text = " ".join(str(error).split())[:200]
        raise UsersStepFails(
            f"the model's own training step raises on this data ({type(error).__name__}: {text})"
        ) from None


class OverBudget(Exception):
    """The safety limit (--probe-budget) was reached; the message says how far it got."""

    def __init__(self, progress: str, done: float) -> None:
        super().__init__(progress)
        self.progress, self.done = progress, done


class Budget:
    """The probes' safety limit: one deadline for all of them, checked inside their loops."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.perf_counter() + seconds

    def check(self, progress: str, done: float) -> None:
        """Stop the running probe when the limit is reached; ``progress`` says how far it
        got (``done``: the share of its work finished, for the budget that would do)."""
        if time.perf_counter() > self.end:
            raise OverBudget(progress, done)


@dataclass
class ProbeOptions:
    budget: float = DEFAULTS.probe_budget
    seed: int = DEFAULTS.seed
    progress: Path | None = None  # a file the parent reads to show which probe runs

    @classmethod
    def from_env(cls) -> ProbeOptions:
        """The options the parent passed in ``NNCHECK_PROBES`` (JSON)."""
        settings = json.loads(os.environ.get("NNCHECK_PROBES", "{}"))
        return cls(
            budget=float(settings.get("budget", DEFAULTS.probe_budget)),
            seed=int(settings.get("seed", DEFAULTS.seed)),
            progress=Path(settings["progress"]) if settings.get("progress") else None,
        )


def run_plan(
    plan: Sequence[tuple[str, Callable[[Budget], ProbeValues]]],
    budget: Budget,
    before: Callable[[int, str], None],
) -> list[ProbeResult]:
    """Each probe of ``plan`` in order, as its result: measured; skipped (Skip); stopped by
    the budget (OverBudget), after which the others are not run; or crashed (nncheck's own
    failure: reported, never a skip). ``before(index, name)`` prepares each probe (its own
    generator, the progress display), for the Keras and the PyTorch probes alike."""
    results: list[ProbeResult] = []
    spent = False
    for index, (name, probe) in enumerate(plan):
        before(index, name)
        result = ProbeResult(name)
        begin = time.perf_counter()
        if spent:
            result.status, result.reason = "not_run", "the probe budget was spent"
            results.append(result)
            continue
        try:
            result.values = probe(budget)
        except Skip as skip:
            result.status, result.reason = "skipped", str(skip)
        except OverBudget as over:
            result.status, result.reason = "over_budget", over.progress
            result.values = Stopped(over.done)
            spent = True
        except Exception as error:  # nncheck's own failure: reported, never a skip
            result.status, result.reason = "crashed", describe_internal_error(error)
        result.seconds = time.perf_counter() - begin
        results.append(result)
    return results


def time_interleaved(
    step: Callable[[], Any],
    batches: Iterator[Any] | None,
    count: int,
    budget: Budget,
    size_of: Callable[[Any], int],
) -> dict[str, Any]:
    """Median seconds of one training step and of drawing one batch from the pipeline,
    alternated in one loop (after two warm-up rounds) so that a load on the machine slows
    both alike: their ratio is what X108 judges. ``batches`` None: data in memory;
    ``size_of`` counts the samples of a batch's inputs."""
    step_times: list[float] = []
    pipe_times: list[float] = []
    size = 0
    first = next(batches, None) if batches is not None else None
    if batches is not None and first is None:
        raise Skip("the input pipeline yielded no batch")
    if first is not None:
        inputs = first[0] if isinstance(first, tuple | list) else first
        size = size_of(inputs) if not isinstance(inputs, dict) or inputs else 0
    for round_ in range(count + 2):
        if batches is not None:
            begin = time.perf_counter()
            if next(batches, None) is None:
                raise Skip("the input pipeline ran out of batches")
            drawn = time.perf_counter() - begin
        begin = time.perf_counter()
        step()
        stepped = time.perf_counter() - begin
        if round_ >= 2:
            step_times.append(stepped)
            if batches is not None:
                pipe_times.append(drawn)
        budget.check(
            f"the timed steps reached {round_ + 1} of {count + 2}", (round_ + 1) / (count + 2)
        )
    return {
        "step_s": statistics.median(step_times),
        "pipeline_s": statistics.median(pipe_times) if pipe_times else None,
        "pipeline_batch_size": size or None,
        "steps": count,
    }
