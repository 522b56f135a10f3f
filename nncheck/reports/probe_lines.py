"""The probes in the terminal report: one line each, with the evidence drawn.

The single-batch loss curve and the learning-rate sweep are one-line sparklines beside
their numbers, the per-layer gradient norms a compact bar list, so a user sees at a glance
why a probe fired (or that it did not). The JSON report carries the raw series.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nncheck.facts import probe_results as measured
from nncheck.formatting import fmt_bytes, fmt_sci

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, ProbeResult

Segment = tuple[str, str]
Line = list[Segment]

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 24
STATUS_WORDS = {
    "skipped": "skipped",
    "over_budget": "STOPPED by --probe-budget",
    "not_run": "not run",
    "crashed": "CRASHED",
}


def sparkline(values: list[float], width: int = WIDTH, log: bool = True) -> str:
    """``values`` resampled to ``width`` points and drawn as block characters (log scale
    for positive series spanning orders of magnitude); non-finite points are "x"."""
    if not values:
        return ""
    step = max(1, math.ceil(len(values) / width))
    points = [values[i] for i in range(0, len(values), step)]
    finite = [v for v in points if math.isfinite(v)]
    if log and finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        points = [math.log10(v) if math.isfinite(v) and v > 0 else v for v in points]
        finite = [v for v in points if math.isfinite(v)]
    if not finite:
        return "x" * len(points)
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    return "".join(
        BLOCKS[round((v - low) / span * (len(BLOCKS) - 1))] if math.isfinite(v) else "x"
        for v in points
    )


def _num(value: float) -> str:
    return f"{value + 0.0:.3g}"  # + 0.0: no "-0" for a loss of exactly zero


def _describe(result: ProbeResult) -> Line:
    v = result.values
    if isinstance(v, measured.LossAtInit):
        if v.expected is None:
            return [(f"{_num(v.loss)} (no expected value for this loss)", "")]
        if v.expected <= 0:  # a loss whose untrained value is 0 (one class): no ratio
            return [(f"{_num(v.loss)} (expected {_num(v.expected)})", "")]
        return [(f"{_num(v.loss)} (expected {_num(v.expected)}, {v.loss / v.expected:.1f}x)", "")]
    if isinstance(v, measured.Overfit):
        finite = [x for x in v.losses if math.isfinite(x)]
        end = min(finite) if finite else float("nan")
        accuracy = f", {v.accuracy:.0%} accuracy" if v.accuracy is not None else ""
        start = v.losses[0] if v.losses else float("nan")
        line: Line = [
            (f"{_num(start)} → {_num(end)} in {v.steps} steps{accuracy}  ", ""),
            (sparkline(v.losses), "cyan"),
        ]
        if v.reference:
            theirs = [x for x in v.reference.losses if math.isfinite(x)]
            low = _num(min(theirs)) if theirs else "nan"
            line += [
                (f"; {v.reference.optimizer}: → {low} in {len(v.reference.losses)}  ", ""),
                (sparkline(v.reference.losses, width=12), "cyan"),
            ]
        return line
    if isinstance(v, measured.Gradients):
        if not v.layers:
            return [("no trainable weight gets a gradient", "")]
        relative = [layer.relative for layer in v.layers]
        bars = sparkline(relative, width=len(relative))
        extra = f", {len(v.disconnected)} without gradient" if v.disconnected else ""
        extra += f", {v.non_finite} non-finite" if v.non_finite else ""
        names = " ".join(layer.layer for layer in v.layers[:6])
        names += " …" if len(v.layers) > 6 else ""
        return [
            (f"|g|/|w| {fmt_sci(min(relative))} .. {fmt_sci(max(relative))}{extra}  ", ""),
            (bars, "cyan"),
            (f"  {names}", "dim"),
        ]
    if isinstance(v, measured.DeadUnits):
        shown = ", ".join(f"{layer.layer} {layer.dead_share:.0%}" for layer in v.layers[:5])
        return [(f"dead share per layer: {shown}", "")]
    if isinstance(v, measured.LrRange):
        return [
            (f"suggested {fmt_sci(v.suggested)}" if v.suggested else _no_suggestion(v), ""),
            (f", diverges at {fmt_sci(v.diverged_at)}  ", ""),
            (sparkline(v.losses), "cyan"),
        ]
    if isinstance(v, measured.Checkpoint):
        state = "ok" if v.ok else f"FAILS: {v.error}"
        return [(f"{v.how}: {state}", "")]
    if isinstance(v, measured.StepMemory):
        return [(f"~{fmt_bytes(v.step_bytes)} per step (batch {v.batch_size})", "")]
    if isinstance(v, measured.MixedPrecision):
        parts = [f"{name.replace('_', ' ')} {gain:.2f}x" for name, gain in v.speedups().items()]
        return [(f"step {v.as_is * 1e3:.1f} ms as is; " + ", ".join(parts), "")]
    if isinstance(v, measured.Throughput):
        step, batch = v.step_s, v.batch_size
        text = f"step {step * 1e3:.2f} ms ({batch / step:,.0f} samples/s)"
        if v.pipeline_s:
            pipe = v.pipeline_s
            text += f"; pipeline {pipe * 1e3:.2f} ms/batch ({step and pipe / step:.1f}x the step)"
        else:
            text += "; data in memory"
        return [(text, "")]
    return [(str(v), "")]


def probe_lines(path: str, facts: ProbeFacts) -> list[Line]:
    """The probe section of one target."""
    head = (
        f"Probes on {path} ({facts.device}, {facts.backend}, {facts.seconds:.1f} s of "
        f"{facts.budget:g} s, seed {facts.seed}):"
    )
    out: list[Line] = [[(head, "bold")]]
    if facts.cloning != "copy":
        note = "the model cannot be copied: probed in place, its weights restored after each"
        out.append([(f"  {'model':<16} ", ""), (note, "dim")])
    for result in facts.results:
        label = f"  {measured.PROBE_LABELS.get(result.name, result.name):<16} "
        if result.status == "ok":
            out.append([(label, ""), *_describe(result)])
        else:
            word = STATUS_WORDS.get(result.status, result.status)
            style = "dim" if result.status in {"skipped", "not_run"} else "bold red"
            out.append([(label, ""), (f"{word}: {result.reason}", style)])
    if facts.twin_fingerprint is not None:
        same = facts.fingerprint == facts.twin_fingerprint
        text = (
            "identical initial weights in two runs" if same else "two runs built different weights"
        )
        out.append([(f"  {'reproducibility':<16} ", ""), (text, "")])
    out.append([])
    return out


def _no_suggestion(sweep: measured.LrRange) -> str:
    """Why a sweep suggests no rate: its loss never fell, or still falls at its last rate."""
    if sweep.still_falling and sweep.rates:
        return f"the loss still falls at the sweep's last rate ({fmt_sci(sweep.rates[-1])})"
    return "no rate lowered the loss"
