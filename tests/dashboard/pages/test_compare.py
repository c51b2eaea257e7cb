"""The compare page in real headless Chromium against a real ``kuro server``."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.dashboard.example_program import GROUP, SETTINGS, STEPS, TRIALS, VAL_EVERY

pytestmark = pytest.mark.live

CURVES = "#compare-curves"
TRIALS_PLACE = "#compare-trials-place"  # the trials grid's place (built after the first view)


def _open_group(page, study) -> None:
    page.page.goto(f"{study['url']}/dash-index")
    page.page.wait_for_url("**/dashboard/")
    page.page.locator("#compare-group-picker").click()
    page.page.get_by_role("option", name=GROUP, exact=True).click()
    page.page.wait_for_function(
        "n => document.querySelectorAll('#compare-body .ag-center-cols-container .ag-row')"
        ".length >= n",
        arg=len(SETTINGS),
    )


def _select(page, experiment_ids) -> None:
    for experiment_id in experiment_ids:
        page.page.locator(
            f'#compare-body .ag-pinned-left-cols-container [row-id="{experiment_id}"] '
            ".ag-selection-checkbox input"
        ).first.click()
    page.page.get_by_text(f"{len(experiment_ids)} of {len(SETTINGS)} selected").wait_for()


def _wait_for_traces(page, counts: dict[str, int]) -> list[dict]:
    """Wait until each curve chart (by title) has the expected number of traces."""
    page.page.wait_for_function(
        """(counts) => {
            const plots = Array.from(document.querySelectorAll('#compare-curves .js-plotly-plot'));
            return plots.length === Object.keys(counts).length && plots.every(
                gd => gd.data && gd.data.length === counts[gd.layout.meta]);
        }""",
        arg=counts,
    )
    return page.plots(CURVES)


def test_dash_index_opens_the_dashboard(page, study):
    """The original address opens the compare page, with its guide and group picker."""
    page.page.goto(f"{study['url']}/dash-index")
    page.page.wait_for_url("**/dashboard/")
    page.page.get_by_text("Compare experiments").wait_for()
    page.page.get_by_text("How to read this page").click()
    page.page.get_by_text("Mean across trials", exact=False).first.wait_for()
    page.shot("opened")


def test_compare_flow(page, study):
    """Pick the group, select experiments, read charts, switch modes, download the data."""
    _open_group(page, study)
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-curves .js-plotly-plot').length === 2"
    )  # the top settings' curves, drawn before any selection
    page.shot("group")
    chosen = study["experiment_ids"][:2]  # mlp at lr 0.1 and 0.01
    _select(page, chosen)

    # Mean across trials (the default): a band and a mean line per experiment.
    plots = _wait_for_traces(page, {"train_loss": 4, "val_acc": 4})
    for plot in plots:
        means = [t for t in plot["traces"] if t.get("meta") != "band"]
        assert len(means) == 2
        for trace in means:
            if plot["meta"] == "train_loss":
                assert trace["n"] == 499  # 1,500 steps, sampled: the mean bucket by bucket
            else:
                assert trace["n"] == STEPS // VAL_EVERY
    sampled = page.page.locator('[data-metric="train_loss"] .kuro-note')
    assert sampled.inner_text().startswith("Downsampled: ")
    assert "trials averaged bucket by bucket" in sampled.inner_text()
    assert page.page.locator('[data-metric="val_acc"] .kuro-note').count() == 0
    page.page.locator("#compare-curves").scroll_into_view_if_needed()
    page.shot("mean")

    # Winner charts: one per metric, one dot per selected experiment.
    page.page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#compare-bars .js-plotly-plot'))"
        ".every(gd => gd.data.reduce((n, t) => n + t.x.length, 0) === 2)"
    )
    forests = page.plots("#compare-bars")
    assert sorted(p["title"].split(" ")[0] for p in forests) == [
        "test_acc",
        "train_loss",
        "val_acc",
    ]
    assert all(sum(t["n"] for t in p["traces"]) == 2 for p in forests)

    # All trials: one line per trial.
    page.page.locator("#compare-aggregation").get_by_text("All trials").click()
    plots = _wait_for_traces(page, {"train_loss": 2 * TRIALS, "val_acc": 2 * TRIALS})
    loss = next(p for p in plots if p["meta"] == "train_loss")
    assert all(t["n"] <= 1000 for t in loss["traces"])
    page.shot("all-trials")
    page.shot_of("section:has(#compare-curves)", "curves-all-trials")

    # Best trial: one line per experiment.
    page.page.locator("#compare-aggregation").get_by_text("Best trial").click()
    _wait_for_traces(page, {"train_loss": 2, "val_acc": 2})
    page.page.locator("#compare-aggregation").get_by_text("Mean across trials").click()
    page.page.locator("#compare-band").get_by_text("min - max").click()
    _wait_for_traces(page, {"train_loss": 4, "val_acc": 4})
    page.shot("best-then-minmax")

    # The JSON download: full data, kuro.export/1, only the selection.
    with page.page.expect_download() as download:
        page.page.locator("#compare-download-json-button").click()
    document = json.loads(download.value.path().read_text())
    assert document["schema"] == "kuro.export/1"
    assert [e["id"] for e in document["experiments"]] == chosen
    series = document["experiments"][0]["trials"][0]["series"]
    assert len(series["train_loss"]["steps"]) == STEPS  # not sampled
    assert len(series["val_acc"]["values"]) == STEPS // VAL_EVERY

    with page.page.expect_download() as download:
        page.page.locator("#compare-download-csv-button").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    per_trial = STEPS + STEPS // VAL_EVERY + 1  # two series and the test_acc summary
    assert len(rows) == 2 * TRIALS * per_trial
    assert {int(r["experiment_id"]) for r in rows} == set(chosen)
    page.shot("downloaded")
    page.shot_of(".kuro-filter-grid:has(a[href*='/dashboard/trial/'])", "trials-table")


def test_update_keeps_the_selection(page, study):
    """Pressing Update (as auto-refresh does) reloads the data and keeps the selection."""
    _open_group(page, study)
    _select(page, study["experiment_ids"][1:3])
    _wait_for_traces(page, {"train_loss": 4, "val_acc": 4})
    before = page.page.locator("#compare-status").inner_text()
    page.page.wait_for_timeout(1100)  # the status shows seconds
    page.page.get_by_role("button", name="↻ Update").click()
    page.page.wait_for_function(
        "before => document.querySelector('#compare-status').innerText !== before", arg=before
    )
    page.page.get_by_text(f"2 of {len(SETTINGS)} selected").wait_for()
    _wait_for_traces(page, {"train_loss": 4, "val_acc": 4})


def test_aggregates_and_trials_tables(page, study):
    """Without a selection the aggregates cover the group; the metric filter narrows them."""
    _open_group(page, study)
    grid = "#compare-wins .ag-center-cols-container .ag-row"
    page.page.wait_for_function(f"() => document.querySelectorAll('{grid}').length > 0")
    page.page.locator("#compare-body a[href*='/dashboard/trial/']").first.wait_for()
    page.page.locator("#compare-metric-filter").click()
    page.page.get_by_role("option", name="test_acc", exact=True).click()
    page.page.keyboard.press("Escape")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length === 1"
    )
    forests = page.plots("#compare-bars")
    assert sum(t["n"] for t in forests[0]["traces"]) == len(SETTINGS)
    page.page.locator("#compare-wins").scroll_into_view_if_needed()
    page.shot("aggregates")


def test_unknown_group_shows_an_error(page, study):
    """A group that does not exist is an error message in the page, not a blank screen."""
    page.page.goto(f"{study['url']}/dashboard/?group=no-such-group")
    alert = page.page.locator("#compare-message [role=alert]")
    alert.wait_for()
    assert "no-such-group" in alert.inner_text()
    page.shot("error")


def test_parallel_coordinates_wait_until_seen(page, study):
    """The parallel-coordinates chart (below the fold) is not drawn on the first paint; it
    is drawn, one line per trial, once scrolled into view."""
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length > 0"
        " && document.querySelectorAll('#compare-curves .js-plotly-plot').length > 0"
    )
    page.page.wait_for_timeout(500)
    assert page.page.locator("#compare-parallel .js-plotly-plot").count() == 0
    assert "Drawn when scrolled into view" in page.page.inner_text("#compare-parallel")
    page.page.locator("#compare-parallel").scroll_into_view_if_needed()
    page.page.wait_for_function(
        "() => { const gd = document.querySelector('#compare-parallel .js-plotly-plot');"
        "  return gd && gd.data && gd.data.length === 1; }"
    )
    (parallel,) = page.plots("#compare-parallel")[0]["traces"]
    assert parallel["type"] == "parcoords"
    # The score axis is the colour key: no colour bar repeating its tick labels.
    assert page.page.locator("#compare-parallel .colorbar").count() == 0
    page.shot_of("#compare-parallel", "parallel")


def test_first_view_charts_and_grids_are_laid_out_once(page, study):
    """Opened by its address, the page's charts come with room for their labels and
    legends (Plotly keeps the margins given: it had none to widen, so it drew each chart
    once), and the grids' headers, of one height, hold their full names in tooltips."""
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length === 3"
        " && document.querySelectorAll('#compare-curves .js-plotly-plot').length === 2"
    )
    margins = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => [
            gd.layout.margin.l, gd._fullLayout._size.l, gd.layout.margin.b,
            gd._fullLayout._size.b])"""
    )
    assert len(margins) == 5
    for given_left, drawn_left, given_bottom, drawn_bottom in margins:
        assert (drawn_left, drawn_bottom) == (given_left, given_bottom)
    trials = "div[id*='compare-trials']:has(.ag-root-wrapper)"
    page.page.locator(f"{trials} .ag-header-cell[col-id=trial]").hover()
    tooltip = page.page.locator(".ag-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() == "Trial (id · number)"
    heights = page.page.evaluate(
        """() => Array.from(document.querySelectorAll('#compare-body .ag-header-row-column'))
            .map(row => row.getBoundingClientRect().height)"""
    )
    assert len(heights) >= 3 and len(set(heights)) == 1  # pinned and centre parts of 3 grids
    page.shot_of(f"section:has({trials})", "header-tooltip")


def test_lazy_grids_follow_the_first_view(page, study):
    """The aggregates and trials grids (below the fold) are built after the first view,
    unseen, once the page's charts are drawn, each with its rows in one round trip; Dash's
    call of the rows' callback when a grid appears changes nothing (it is not drawn again);
    after that a new selection changes their rows, not the grids (a filter typed in stays).
    The parallel coordinates still wait to be seen."""
    answers: list[tuple[str, int]] = []  # (output, status) of each lazy grid callback

    def on_response(response) -> None:
        post = response.request.post_data or ""
        if "_dash-update-component" in response.url and "compare-" in post:
            output = json.loads(post)["output"]
            if "compare-aggregates" in output or "compare-trials" in output:
                answers.append((output, response.status))

    page.page.on("response", on_response)
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    rows = f"{TRIALS_PLACE} .ag-center-cols-container .ag-row"
    # The grid's own count of its rows: it draws only the rows in view and a few more, so
    # the rows in the page may be fewer than it holds (12 here, about 9 in view, as a
    # horizontal scrollbar or a taller header leaves room for). Its aria-rowcount counts
    # the header rows too, which come before the first row's aria-rowindex.
    page.page.wait_for_function(
        "([place, rows, n]) => {"
        "  const first = document.querySelector(`${rows}[row-index='0']`);"
        "  const grid = document.querySelector(`${place} [aria-rowcount]`);"
        "  return first && grid && document.querySelectorAll("
        "      '#compare-aggregates-place .ag-row').length > 0"
        "    && Number(grid.getAttribute('aria-rowcount'))"
        "      - (Number(first.getAttribute('aria-rowindex')) - 1) === n;"
        "}",
        arg=[TRIALS_PLACE, rows, len(SETTINGS) * TRIALS],
    )
    assert page.page.evaluate("window.scrollY") == 0
    assert page.page.locator("#compare-parallel .js-plotly-plot").count() == 0
    page.page.wait_for_function("() => true")  # responses seen so far are recorded
    page.page.wait_for_timeout(300)
    builds = [status for output, status in answers if output.endswith("-place.children")]
    fills = [status for output, status in answers if "rowData" in output]
    assert builds == [200, 200]  # both grids, with their rows
    assert fills == [204, 204]  # when each appeared: unchanged, nothing drawn again
    search = page.page.locator(f"{TRIALS_PLACE} input[type=search]")
    search.fill("complete")
    _select(page, study["experiment_ids"][:1])
    page.page.wait_for_function(
        "([rows, n]) => document.querySelectorAll(rows).length === n", arg=[rows, TRIALS]
    )
    assert search.input_value() == "complete"
    page.page.locator(TRIALS_PLACE).scroll_into_view_if_needed()
    page.shot_of(f"section:has({TRIALS_PLACE})", "trials-of-one")


def test_json_preview_is_built_when_scrolled_to(page, study):
    """The JSON preview (a closed section at the bottom) is not in the first view; scrolled
    to and opened, it holds the selection's experiments, and follows the selection."""
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    # Until the grids above it are built (once the browser is idle) and filled, the section
    # moves down the page: scrolled to before that, it could be pushed out of view again.
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-curves .js-plotly-plot').length > 0"
        f" && document.querySelectorAll('{TRIALS_PLACE} .ag-row').length > 0"
        " && document.querySelectorAll('#compare-aggregates-place .ag-row').length > 0"
    )
    assert page.page.locator("#compare-json").text_content() == ""
    page.page.locator("#compare-json").locator("xpath=..").scroll_into_view_if_needed()
    page.page.get_by_text("JSON of the selection").click()
    page.page.wait_for_function("() => document.querySelector('#compare-json').textContent")
    preview = json.loads(page.page.locator("#compare-json").text_content())
    assert preview["group"] == GROUP
    assert len(preview["experiments"]) == len(SETTINGS)
    chosen = study["experiment_ids"][:1]
    _select(page, chosen)
    page.page.wait_for_function(
        "() => JSON.parse(document.querySelector('#compare-json').textContent)"
        ".experiments.length === 1"
    )
    preview = json.loads(page.page.locator("#compare-json").text_content())
    assert [e["id"] for e in preview["experiments"]] == chosen
    page.shot_of("#compare-json", "json-preview")
