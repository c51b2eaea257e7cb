"""Curve cards: the caption says when a chart is sampled, and zooming the step axis reads
that range again from the server (real server, real Chromium)."""

from __future__ import annotations

import math

import httpx
import pytest

from kuro.dashboard.components.curves import caption_text, curve_recipe, step_window
from tests.dashboard.example_program import GROUP

LONG = 20_000


def test_step_window_reads_plotly_relayout_data():
    """A zoom gives its steps (widened), a reset None, anything else no change."""
    assert step_window({"xaxis.range[0]": 1000, "xaxis.range[1]": 1200}) == (990, 1210)
    assert step_window({"xaxis.range": [1200.0, 1000.0]}) == (990, 1210)
    assert step_window({"xaxis.autorange": True}) is None
    assert step_window({"yaxis.range[0]": 0, "yaxis.range[1]": 1}) is False
    assert step_window({"xaxis.range[0]": "2026-01-01", "xaxis.range[1]": "2026-01-02"}) is False
    assert step_window(None) is False


def test_caption_says_sampled_and_zoomed():
    """Sampled: how many of how many, extremes kept, and a mean taken bucket by bucket says
    so; zoomed: the range and its points."""
    full = caption_text({"sampled": True, "shown": 1000, "count": 30000})
    assert full is not None and full.startswith("Downsampled: 1,000 of 30,000 points drawn")
    assert "extremes kept" in full
    zoomed = caption_text({"sampled": True, "shown": 1000, "count": 5000}, (10, 5010))
    assert zoomed is not None and zoomed.startswith("Steps 10 to 5,010: downsampled")
    assert caption_text({"sampled": False, "shown": 9, "count": 9}) is None
    means = caption_text({"sampled": True, "bucketed": True, "shown": 499, "count": 50_000})
    assert means is not None and "trials averaged bucket by bucket" in means
    assert "bucket by bucket" not in full


def test_recipe_keeps_no_series_and_refuses_unknown_options():
    """A recipe holds trial ids, not points; an unknown option is an error."""
    experiment = {
        "id": 1,
        "label": "a",
        "color": "#000",
        "best_trial": 2,
        "trials": [{"id": 2, "number": 0, "series": {"steps": [1, 2]}, "status": "complete"}],
    }
    recipe = curve_recipe("loss", [experiment], aggregation="all")
    assert recipe["experiments"][0]["trials"] == [{"id": 2, "number": 0}]
    with pytest.raises(ValueError):
        curve_recipe("loss", [experiment], aggregaton="all")


def _long_trial(url: str) -> int:
    """A trial with a ``LONG``-step ``loss`` series (a spike at step 12,345)."""
    values = [1 + math.sin(i / 50) / 2 for i in range(LONG)]
    values[12_345] = 9.0
    with httpx.Client(base_url=f"{url}/api/v1", timeout=120) as http:
        experiment = http.post(
            "/experiments",
            json={"group": "long-series", "identifier": "lm", "metrics": [{"name": "loss"}]},
        ).json()
        trial = http.post(f"/experiments/{experiment['id']}/trials", json={"worker": "w"}).json()
        trial_id = trial["trial"]["id"]
        answer = http.post(
            "/points",
            json={
                "series": [
                    {
                        "trial_id": trial_id,
                        "metric": "loss",
                        "steps": list(range(LONG)),
                        "values": values,
                    }
                ]
            },
        )
        assert answer.status_code == 200, answer.text
    return trial_id


_POINTS = "() => document.querySelector('#trial-content .js-plotly-plot').data[0].x"


@pytest.mark.live
def test_zoom_reads_the_range_at_full_resolution(page, live_kuro):
    """Zooming a long series into a few hundred steps draws every step of that range;
    a double-click goes back to the sampled whole."""
    trial_id = _long_trial(live_kuro.url)
    page.page.goto(f"{live_kuro.url}/dashboard/trial/{trial_id}")
    page.page.wait_for_function(
        "() => { const gd = document.querySelector('#trial-content .js-plotly-plot');"
        " return gd && gd.data && gd.data.length === 1; }"
    )
    caption = page.page.locator("#trial-content .kuro-chart .kuro-note")
    before = page.page.evaluate(_POINTS)
    # 499 buckets' minimum and maximum and the two ends, less those that are the same point.
    assert 990 <= len(before) <= 1000 and 12_345 in before  # the spike is kept
    assert caption.inner_text().startswith(f"Downsampled: {len(before):,} of {LONG:,} points drawn")
    page.shot("sampled")

    # Box-zoom (a horizontal drag) over about 1% of the axis, as a user does.
    area = page.page.locator("#trial-content .nsewdrag").first.bounding_box()
    y = area["y"] + area["height"] / 2
    x0 = area["x"] + area["width"] * 0.60
    page.page.mouse.move(x0, y)
    page.page.mouse.down()
    page.page.mouse.move(x0 + area["width"] * 0.005, y, steps=4)
    page.page.mouse.move(x0 + area["width"] * 0.01, y, steps=4)
    page.page.mouse.up()
    page.page.get_by_text("full resolution, all").wait_for()
    page.page.wait_for_function(f"() => ({_POINTS})().length < 1000")
    zoomed = page.page.evaluate(_POINTS)
    assert len(zoomed) > 100
    assert zoomed == list(range(zoomed[0], zoomed[-1] + 1))  # every step: none skipped
    in_view = [s for s in before if zoomed[0] <= s <= zoomed[-1]]
    assert len(zoomed) > 1.3 * len(in_view)  # finer than the sampled view was
    assert 0.55 * LONG < zoomed[0] < zoomed[-1] < 0.65 * LONG
    page.shot("zoomed")

    page.page.mouse.dblclick(area["x"] + area["width"] / 2, y)
    page.page.get_by_text(f"Downsampled: {len(before):,} of").wait_for()
    page.page.wait_for_function(f"() => ({_POINTS})().length === {len(before)}")
    assert page.page.evaluate(_POINTS) == before


_MEAN_X = """() => {
    const gd = document.querySelector('#compare-curves [data-metric="train_loss"] .js-plotly-plot');
    return gd.data.filter(t => t.meta !== 'band').map(t => t.x);
}"""


@pytest.mark.live
def test_zoom_on_the_compare_page_reads_every_step(page, study):
    """On the compare page's mean curves, a zoomed range of the sampled ``train_loss``
    (1,500 steps) comes back with every step of each setting's mean; the charts' first
    draw and resizes ask the server nothing (only a move of the x axis does)."""
    zooms: list[str] = []

    def on_request(request) -> None:
        if "_dash-update-component" in request.url and '"CurveCard"' in (request.post_data or ""):
            zooms.append(request.post_data)

    page.page.on("request", on_request)
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    chart = page.page.locator('#compare-curves [data-metric="train_loss"]')
    chart.locator(".kuro-note").get_by_text("Downsampled").wait_for()
    # The note comes with the page's layout; the chart once plotly.js has drawn it.
    chart.locator(".js-plotly-plot .nsewdrag").first.wait_for()
    chart.scroll_into_view_if_needed()
    page.page.set_viewport_size({"width": 1100, "height": 900})  # a resize: no zoom
    page.page.wait_for_timeout(500)  # plotly reports a resize once the frame is laid out
    assert zooms == []
    before = page.page.evaluate(_MEAN_X)
    area = chart.locator(".nsewdrag").first.bounding_box()
    y = area["y"] + area["height"] / 2
    x0 = area["x"] + area["width"] * 0.4
    page.page.mouse.move(x0, y)
    page.page.mouse.down()
    page.page.mouse.move(x0 + area["width"] * 0.1, y, steps=5)
    page.page.mouse.up()
    chart.get_by_text("full resolution, all").wait_for()
    page.page.wait_for_function(f"() => ({_MEAN_X})().every(x => x.length < 1000)")
    after = page.page.evaluate(_MEAN_X)
    assert len(zooms) == 1 and '"xaxis.range' in zooms[0]
    assert len(after) == len(before) > 0
    for steps in after:
        assert len(steps) > 100 and steps == list(range(steps[0], steps[-1] + 1))
    page.shot_of('#compare-curves [data-metric="train_loss"]', "compare-zoomed")
