"""The HTML report: self-contained, its structure, its pictures, and the page in a real
browser (headless Chromium: every picture drawn, no console errors, the filters work)."""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from forked_children import forked_children

from nncheck.api import Report
from nncheck.engine import check_targets, collect_targets, select_rules
from nncheck.facts.live import ProbeFacts, ProbeResult
from nncheck.facts.probe_results import LrRange, Overfit
from nncheck.options import RunOptions
from nncheck.reports import ReportContext, html, json_report
from nncheck.reports.svg import Series, bar_chart, line_chart, tick_text
from nncheck.results import RunResult

SNAPSHOT = ROOT / "tests" / "snapshots" / "demo_html_structure.json"
DEMO_PICTURES = [
    "overfit",
    "lr_range",
    "labels",
    "gradients",
    "dead_units",
    "throughput",
    "output_prior",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo_result() -> RunResult:
    """`make demo`'s full check with the probes, run once in a forked child."""
    os.chdir(ROOT)
    options = RunOptions(probes=True, probe_budget=600)
    targets = collect_targets([Path("fixtures/demo/train.py")], static=False, capture=options)
    with forked_children():
        return check_targets(targets, select_rules(None, ()))


@pytest.fixture(scope="module")
def demo_page(demo_result: RunResult) -> str:
    return html.render(demo_result, ReportContext("full"))


class _Structure(HTMLParser):
    """The page's outline: headings, filters, rows and figures, without text or numbers."""

    def __init__(self) -> None:
        super().__init__()
        self.outline: list[str] = []
        self.external: list[str] = []
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.external.append(f"{tag} {name}={found[name]}")
        if tag in {"h1", "h2"}:
            self._heading = True
            self.outline.append(tag)
        elif tag == "input":
            self.outline.append(f"filter {found.get('name')}={found.get('value')}")
        elif tag == "tr" and "data-severity" in found:
            self.outline.append(f"row {found['data-severity']} {found['data-family']}")
        elif tag == "figure":
            self.outline.append(f"figure {found.get('data-picture')}")
        elif tag in {"script", "style", "table", "link", "img", "iframe"}:
            self.outline.append(tag)

    def handle_data(self, data: str) -> None:
        if self._heading:
            self.outline[-1] += f" {data.strip()}"
            self._heading = False


def _outline(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    return parser


def test_the_report_structure_matches_its_snapshot(demo_page: str) -> None:
    outline = _outline(demo_page).outline
    if os.environ.get("NNCHECK_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(outline, indent=1) + "\n", encoding="utf-8")
    assert outline == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_the_report_is_one_self_contained_file_under_a_megabyte(demo_page: str) -> None:
    structure = _outline(demo_page)
    assert structure.external == []  # no script, stylesheet, image or font is fetched
    assert re.findall(r"https?://[^\"' ]+", demo_page) == ["http://www.w3.org/2000/svg"] * 7
    assert "@import" not in demo_page and "url(" not in demo_page
    assert len(demo_page.encode()) < 1_000_000


def test_the_demo_gets_every_picture(demo_page: str, demo_result: RunResult) -> None:
    assert re.findall(r'<figure data-picture="(\w+)">', demo_page) == DEMO_PICTURES
    assert "nothing measured to draw" not in demo_page
    # the LR range curve marks the configured, suggested and divergence rates
    sweep = demo_result.probes["fixtures/demo/train.py"].measured(LrRange)
    assert sweep is not None and sweep.suggested and sweep.diverged_at
    assert "configured 5.0e-02" in demo_page
    assert f"suggested {sweep.suggested:.1e}" in demo_page
    assert f"diverges {sweep.diverged_at:.1e}" in demo_page
    # the label counts carry D101's suggested weights
    assert "w=0.538" in demo_page and "w=7.143" in demo_page


def test_the_json_report_carries_every_series_the_pictures_draw(demo_result: RunResult) -> None:
    document = json.loads(json_report.render(demo_result, ReportContext("full")))
    view = document["overviews"]["fixtures/demo/train.py"]
    assert view["learning_rate"] == 0.05
    assert view["labels"] == [{"target": "y", "kind": "binary", "counts": {"0": 3720, "1": 280}}]
    [prior] = view["output_priors"]
    assert (prior["activation"], prior["bias"], prior["prior"]) == ("sigmoid", [0.0], [0.07])
    assert math.isclose(prior["prior_bias"][0], math.log(0.07 / 0.93))
    names = {r["name"] for r in document["probes"]["fixtures/demo/train.py"]["results"]}
    assert {"overfit", "lr_range", "gradients", "dead_units", "throughput"} <= names
    weights = next(f for f in document["findings"] if f["code"] == "D101")["data"]
    assert weights["class_weight"] == {"0": 0.538, "1": 7.143}


def test_a_static_report_has_the_table_and_no_pictures() -> None:
    targets = collect_targets([ROOT / "fixtures" / "demo" / "train.py"], static=True)
    page = html.render(check_targets(targets, select_rules(None, ())), ReportContext("static"))
    assert page.count("<tr data-severity=") == 7
    assert "<figure" not in page


def test_the_cli_writes_the_html_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nncheck.cli import main

    out = tmp_path / "report.html"
    demo = str(ROOT / "fixtures" / "demo" / "train.py")
    result = CliRunner().invoke(main, ["--static", "--format", "html", "--output", str(out), demo])
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert result.stdout.strip().startswith("Found 7 findings")


def _probed(*values: object) -> RunResult:
    probes = ProbeFacts(results=[ProbeResult(v.name, values=v) for v in values])  # type: ignore[attr-defined]
    return RunResult(files=1, probes={"train.py": probes})


def test_the_python_apis_report_shows_the_pictures_in_jupyter() -> None:
    overfit = Overfit(
        losses=[2.0, 1.0, 0.1], steps=3, max_steps=400, accuracy=1.0, classes=2, batch=8
    )
    shown = Report(_probed(overfit))._repr_html_()
    assert '<figure data-picture="overfit">' in shown
    assert "<table" in shown or "No findings" in shown


# -- the chart primitives --------------------------------------------------------------------


def test_tick_labels_read_as_people_write_numbers() -> None:
    assert [tick_text(v) for v in (0, 1e-7, 2.5e-4, 0.25, 40, 1500, 1e6)] == [
        "0",
        "1e-7",
        "2.5e-4",
        "0.25",
        "40",
        "1.5k",
        "1e6",
    ]


def test_values_that_cannot_be_drawn_are_left_out() -> None:
    chart = line_chart(
        "c", "t", [Series("s", [1, 2, 3, 4], [1.0, float("nan"), -1.0, 2.0])], x_label="x",
        y_label="y", y_log=True,
    )  # fmt: skip
    [points] = re.findall(r'<polyline points="([^"]+)"', chart)
    assert len(points.split()) == 2  # NaN and the negative value on a log axis are dropped
    empty = line_chart("c", "t", [Series("s", [1], [float("inf")])], x_label="x", y_label="y")
    assert "nothing measured to draw" in empty and "<polyline" not in empty
    bars = bar_chart("b", "t", ["a", "b"], [], y_label="y")
    assert "nothing measured to draw" in bars


# -- in a real browser -------------------------------------------------------------------------


def _browser_or_skip() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: `make test` installs Debian's chromium package")
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    return CHROMIUM


def _coloured_pixels(png: bytes) -> int:
    """Pixels in a chart colour (saturated): the lines and bars; text and axes are grey."""
    from PIL import Image

    saturation = Image.open(io.BytesIO(png)).convert("RGB").convert("HSV").getchannel("S")
    return sum(saturation.histogram()[100:])


def test_the_page_draws_every_picture_in_chromium_without_console_errors(
    demo_page: str, tmp_path: Path
) -> None:
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(demo_page, encoding="utf-8")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request", lambda r: None if r.url.startswith("file:") else problems.append(r.url)
            )
            page.goto(page_file.as_uri())
            figures = page.locator("figure[data-picture]")
            assert figures.count() == len(DEMO_PICTURES)
            for i in range(figures.count()):
                svg = figures.nth(i).locator("svg")
                box = svg.bounding_box()
                assert box is not None and box["width"] > 400 and box["height"] > 200
                assert _coloured_pixels(svg.screenshot()) > 500, DEMO_PICTURES[i]
            shown = page.locator("#shown")
            assert shown.inner_text() == "11"
            page.locator("input[name=severity][value=warning]").uncheck()
            assert shown.inner_text() == "1"  # the T104 error is left
            assert page.locator("#findings tbody tr:visible").count() == 1
            page.locator('input[name=family][value="training configuration"]').uncheck()
            assert shown.inner_text() == "0"
            # the measure tells a blank chart: one with nothing to draw has no chart colour
            page.set_content(line_chart("c", "t", [], x_label="x", y_label="y"))
            assert _coloured_pixels(page.locator("svg").screenshot()) == 0
        finally:
            browser.close()
    assert problems == []
