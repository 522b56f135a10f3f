"""The HTML report: one self-contained page (no network at view time) with the findings table,
filterable by severity and family, and per checked target the pictures of what was measured:
the single-batch overfit curve, the LR range curve with the configured, suggested and
divergence rates marked, the label counts with the class weights nncheck suggests, gradient
and weight norms per layer, dead-unit shares, the step against the input pipeline, and the
output bias against the class prior.

Every picture is drawn from what the JSON report carries (``probes``, ``overviews`` and the
findings' ``data``): the page is a view of the run, it measures nothing itself.
"""

from __future__ import annotations

import math
from collections import Counter
from html import escape

from nncheck.facts.live import ProbeFacts
from nncheck.facts.probe_results import DeadUnits, Gradients, LrRange, Overfit, Throughput
from nncheck.findings import Finding, Severity
from nncheck.registry import get_rule
from nncheck.reports import ReportContext
from nncheck.reports.svg import PALETTE, BarGroup, Marker, Series, bar_chart, line_chart
from nncheck.results import Overview, RunResult
from nncheck.version import __version__

SEVERITY_COLOURS = {
    Severity.ERROR: "#b91c1c",
    Severity.WARNING: "#a16207",
    Severity.INFO: "#0e7490",
}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
max-width:1120px;padding:0 16px;color:#0f172a}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.summary{color:#475569;margin:0 0 16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;
padding:6px 8px;border-bottom:1px solid #e2e8f0}th{background:#f8fafc}
td.where{white-space:nowrap;font-family:ui-monospace,monospace;font-size:12px}
td.fix code{font-size:12px;white-space:pre-wrap}
.sev{font-weight:600;text-transform:uppercase;font-size:11px}
.filters{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0 0 10px}
.filters label{cursor:pointer}.count{color:#64748b}
.pictures{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
figure{margin:0;border:1px solid #e2e8f0;border-radius:6px;padding:6px}
figcaption{color:#475569;font-size:12px;padding:4px 6px}
svg text{font:11px system-ui,sans-serif;fill:#334155}svg .chart-title{font-size:13px;
font-weight:600;fill:#0f172a}svg .marker{font-size:11px;font-weight:600}
svg .note{font-size:11px;fill:#0f172a}
.notes li{color:#475569}
"""

# Filtering: every row carries its severity and family; a row shows when both are ticked.
SCRIPT = """
(function () {
  var boxes = document.querySelectorAll('.filters input[type=checkbox]');
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.name + ':' + b.value] = b.checked; });
    var shown = 0;
    document.querySelectorAll('#findings tbody tr').forEach(function (row) {
      var show = on['severity:' + row.dataset.severity] && on['family:' + row.dataset.family];
      row.hidden = !show;
      if (show) { shown += 1; }
    });
    document.getElementById('shown').textContent = String(shown);
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
}());
"""


def render(result: RunResult, context: ReportContext) -> str:
    """The whole page."""
    summary = _summary(result)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>nncheck report</title><style>{STYLE}</style></head><body>"
        f"<h1>nncheck report</h1>"
        f'<p class="summary">{escape(summary)} · {escape(context.mode)} check · '
        f"nncheck {escape(__version__)}</p>"
        + _findings_section(result)
        + pictures(result)
        + _notes(result)
        + f"<script>{SCRIPT}</script></body></html>\n"
    )


def fragment(result: RunResult) -> str:
    """The findings table and the pictures without the page around them (Jupyter)."""
    return f"<style>{STYLE}</style>" + _findings_section(result, filters=False) + pictures(result)


def _summary(result: RunResult) -> str:
    files = f"{result.files} file" + ("" if result.files == 1 else "s")
    if not result.findings:
        return f"No findings in {files}."
    counts = [
        f"{n} {severity.label}" + ("s" if n != 1 else "")
        for severity in sorted(Severity, reverse=True)
        if (n := result.count(severity))
    ]
    total = len(result.findings)
    return f"Found {total} finding{'s' if total != 1 else ''} in {files}: {', '.join(counts)}."


def _findings_section(result: RunResult, filters: bool = True) -> str:
    if not result.findings:
        return '<h2>Findings</h2><p id="findings">No findings.</p>'
    families = Counter(get_rule(f.code).family for f in result.findings)
    severities = Counter(f.severity for f in result.findings)
    controls = ""
    if filters:
        boxes = [
            _checkbox("severity", s.label, f"{s.label} ({severities[s]})")
            for s in sorted(severities, reverse=True)
        ] + [
            _checkbox("family", family, f"{family} ({n})") for family, n in sorted(families.items())
        ]
        controls = (
            f'<div class="filters">{"".join(boxes)}<span class="count">'
            f'<span id="shown">{len(result.findings)}</span> of {len(result.findings)} '
            "shown</span></div>"
        )
    rows = "".join(_row(f) for f in result.findings)
    return (
        f"<h2>Findings</h2>{controls}"
        '<table id="findings"><thead><tr><th>where</th><th>rule</th><th>severity</th>'
        f"<th>finding</th><th>fix</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _checkbox(name: str, value: str, text: str) -> str:
    return (
        f'<label><input type="checkbox" name="{name}" value="{escape(value)}" checked> '
        f"{escape(text)}</label>"
    )


def _row(finding: Finding) -> str:
    colour = SEVERITY_COLOURS[finding.severity]
    fix = f"<code>{escape(finding.fix)}</code>" if finding.fix else ""
    return (
        f'<tr data-severity="{finding.severity.label}" '
        f'data-family="{escape(get_rule(finding.code).family)}">'
        f'<td class="where">{escape(finding.where)}</td>'
        f"<td>{escape(finding.code)} {escape(finding.name)}</td>"
        f'<td class="sev" style="color:{colour}">{finding.severity.label}</td>'
        f'<td>{escape(finding.message)}</td><td class="fix">{fix}</td></tr>'
    )


def _notes(result: RunResult) -> str:
    if not result.notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in result.notes)
    return f'<h2>Notes</h2><ul class="notes">{items}</ul>'


# -- pictures ------------------------------------------------------------------------------


def pictures(result: RunResult) -> str:
    """A section per target with its pictures; "" when nothing was captured or probed."""
    out = []
    for path in sorted(set(result.probes) | set(result.overviews)):
        findings = [f for f in result.findings if f.path == path]
        drawn = target_pictures(result.probes.get(path), result.overviews.get(path), findings)
        if drawn:
            figures = "".join(
                f'<figure data-picture="{name}">{svg}<figcaption>{escape(caption)}'
                "</figcaption></figure>"
                for name, svg, caption in drawn
            )
            out.append(
                f'<section class="target"><h2>{escape(path)}</h2>'
                f'<div class="pictures">{figures}</div></section>'
            )
    return "".join(out)


def target_pictures(
    probes: ProbeFacts | None, view: Overview | None, findings: list[Finding]
) -> list[tuple[str, str, str]]:
    """(name, svg, caption) for every picture there is data for, in a stable order."""
    drawn: list[tuple[str, str, str] | None] = []
    if probes is not None:
        drawn += [
            _overfit(probes.measured(Overfit)),
            _lr_range(probes.measured(LrRange), view),
        ]
    if view is not None:
        drawn += [_labels(view, findings)]
    if probes is not None:
        drawn += [
            _gradients(probes.measured(Gradients)),
            _dead_units(probes.measured(DeadUnits)),
            _throughput(probes.measured(Throughput)),
        ]
    if view is not None:
        drawn += [_output_prior(view)]
    return [picture for picture in drawn if picture is not None]


def _overfit(overfit: Overfit | None) -> tuple[str, str, str] | None:
    if overfit is None or not overfit.losses:
        return None
    series = [Series("configured optimizer", list(range(len(overfit.losses))), overfit.losses)]
    if overfit.reference is not None and overfit.reference.losses:
        ref = overfit.reference
        series.append(
            Series(ref.optimizer, list(range(len(ref.losses))), ref.losses, PALETTE[1], True)
        )
    finite = [v for s in series for v in s.ys if math.isfinite(v) and v > 0]
    log = bool(finite) and max(finite) / min(finite) > 30
    svg = line_chart(
        "overfit",
        "Single-batch overfit: loss per step",
        series,
        x_label="step",
        y_label="loss" + (" (log)" if log else ""),
        y_log=log,
    )
    accuracy = f", {overfit.accuracy:.0%} accuracy" if overfit.accuracy is not None else ""
    verdict = "learned" if overfit.learned else "did not learn"
    caption = (
        f"A copy trained on one batch of {overfit.batch} for {overfit.steps} steps "
        f"{verdict} it{accuracy}."
    )
    return "overfit", svg, caption


def _lr_range(sweep: LrRange | None, view: Overview | None) -> tuple[str, str, str] | None:
    if sweep is None or not sweep.rates:
        return None
    markers = []
    configured = view.learning_rate if view is not None else None
    if configured:
        markers.append(Marker(configured, f"configured {configured:.1e}", PALETTE[4]))
    if sweep.suggested:
        markers.append(Marker(sweep.suggested, f"suggested {sweep.suggested:.1e}", PALETTE[2]))
    if sweep.diverged_at:
        markers.append(Marker(sweep.diverged_at, f"diverges {sweep.diverged_at:.1e}", PALETTE[1]))
    svg = line_chart(
        "lr_range",
        "LR range test: loss after a step at each rate",
        [Series("loss", sweep.rates, sweep.losses)],
        x_label="learning rate (log)",
        y_label="loss",
        x_log=True,
        markers=tuple(markers),
    )
    parts = [f"configured {configured:.1e}"] if configured else []
    if sweep.suggested:
        parts.append(f"suggested {sweep.suggested:.1e}")
    parts.append(
        f"diverges at {sweep.diverged_at:.1e}" if sweep.diverged_at else "no divergence seen"
    )
    return "lr_range", svg, "Learning rates: " + ", ".join(parts) + "."


def _labels(view: Overview, findings: list[Finding]) -> tuple[str, str, str] | None:
    if not view.labels:
        return None
    labels = view.labels[0]
    counts = sorted(labels.counts.items(), key=lambda item: _label_key(item[0]))[:40]
    suggested = next((f.data.get("class_weight") for f in findings if f.code == "D101"), None)
    weights = {str(k): v for k, v in suggested.items()} if isinstance(suggested, dict) else {}
    notes = [f"w={weights[label]:g}" if label in weights else "" for label, _ in counts]
    svg = bar_chart(
        "labels",
        f"Labels of '{labels.target}' ({labels.kind})",
        [label for label, _ in counts],
        [BarGroup("samples", [float(n) for _, n in counts])],
        y_label="samples",
        notes=notes,
    )
    total = sum(labels.counts.values())
    caption = f"{total:,} labels sampled, {len(labels.counts)} classes"
    if weights:
        caption += "; w: the class weights nncheck suggests (D101)"
    more = len(view.labels) - 1
    if more:
        caption += f"; {more} more output{'s' if more > 1 else ''} in the JSON report"
    return "labels", svg, caption + "."


def _label_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _gradients(gradients: Gradients | None) -> tuple[str, str, str] | None:
    if gradients is None or not gradients.layers:
        return None
    layers = gradients.layers[:24]
    svg = bar_chart(
        "gradients",
        "Gradient and weight norms per layer",
        [layer.layer for layer in layers],
        [
            BarGroup("gradient", [layer.gradient_norm for layer in layers], PALETTE[0]),
            BarGroup("weights", [layer.weight_norm for layer in layers], PALETTE[3]),
        ],
        y_label="L2 norm (log)",
        y_log=True,
    )
    ratios = [layer.relative for layer in layers if layer.weight_norm > 0]
    caption = "Norms on one batch" + (
        f"; gradient/weight from {min(ratios):.1e} to {max(ratios):.1e}" if ratios else ""
    )
    if gradients.non_finite:
        caption += f"; {gradients.non_finite} gradients hold NaN or Inf"
    if gradients.disconnected:
        caption += f"; {len(gradients.disconnected)} variables get no gradient"
    return "gradients", svg, caption + "."


def _dead_units(dead: DeadUnits | None) -> tuple[str, str, str] | None:
    if dead is None or not dead.layers:
        return None
    layers = dead.layers[:24]
    svg = bar_chart(
        "dead_units",
        "Dead ReLU units per layer",
        [layer.layer for layer in layers],
        [BarGroup("dead share", [layer.dead_share * 100 for layer in layers], PALETTE[4])],
        y_label="% of units dead",
        y_range=(0, 100),
        notes=[f"{layer.dead_share:.0%} of {layer.units}" for layer in layers],
    )
    return "dead_units", svg, f"Units that output 0 for all {dead.samples} samples of a batch."


def _throughput(speed: Throughput | None) -> tuple[str, str, str] | None:
    if speed is None:
        return None
    batch = speed.pipeline_batch
    categories = ["training step"]
    values = [speed.step_s_per_pipeline_batch * 1e3]
    if speed.pipeline_s is not None:
        categories.append(f"input pipeline ({speed.source})")
        values.append(speed.pipeline_s * 1e3)
    svg = bar_chart(
        "throughput",
        f"Time per batch of {batch}",
        categories,
        [BarGroup("ms per batch", values, PALETTE[2])],
        y_label="ms per batch",
        notes=[f"{v:.3g} ms" for v in values],
    )
    if speed.pipeline_s is None:
        caption = "The data is in memory: no input pipeline to wait for."
    else:
        ratio = speed.pipeline_s / max(speed.step_s_per_pipeline_batch, 1e-12)
        bound = "bounds the step" if ratio > 1 else "keeps up with the step"
        caption = f"The input pipeline takes {ratio:.2g}x the step's time: it {bound}."
    return "throughput", svg, caption


def _output_prior(view: Overview) -> tuple[str, str, str] | None:
    if not view.output_priors:
        return None
    head = view.output_priors[0]
    if head.activation == "sigmoid":
        categories = ["positive class"]
        caption = f"P(positive) = {head.prior[0]:.1%} in the labels"
    else:
        categories = [str(i) for i in range(len(head.bias))][:40]
        caption = f"Class frequencies {min(head.prior):.1%} to {max(head.prior):.1%}"
    svg = bar_chart(
        "output_prior",
        f"Output bias of '{head.layer}' against the class prior",
        categories,
        [
            BarGroup("initial bias", head.bias[: len(categories)], PALETTE[0]),
            BarGroup("prior's bias", head.prior_bias[: len(categories)], PALETTE[2]),
        ],
        y_label="bias",
        y_range=_bias_range(head.bias + head.prior_bias),
    )
    return "output_prior", svg, caption + f"; the {head.activation} head's bias starts there."


def _bias_range(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    return (min(0.0, *finite) * 1.1 - 0.1, max(0.0, *finite) * 1.1 + 0.1)
