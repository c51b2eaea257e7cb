"""The sweeps page in real headless Chromium, on a sweep run over the HTTP API."""

from __future__ import annotations

import math

import httpx
import pytest

pytestmark = pytest.mark.live

CONFIGS = 8
REPEATS = 2
SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "layers": {"type": "int", "low": 1, "high": 4},
    "act": {"type": "categorical", "choices": ["relu", "tanh"]},
}


def _accuracy(params: dict, repeat: int) -> list[float]:
    """A deterministic objective: best near lr=0.01, two layers, relu; repeats differ."""
    peak = 0.9 - 0.05 * abs(math.log10(params["lr"]) + 2) - 0.03 * abs(params["layers"] - 2)
    peak -= 0.04 if params["act"] == "tanh" else 0.0
    peak += 0.01 * repeat
    return [peak * (1 - math.exp(-step / 2)) for step in range(6)]


def _run_sweep(url: str, *, name: str = "lr and depth", n_ended: int | None = None) -> dict:
    """Create a random sweep and work it as a worker would, over HTTP: to the end, or until
    ``n_ended`` trials have ended and one more is running."""
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        sweep = http.post(
            "/sweeps",
            json={
                "group": "sweep-demo",
                "identifier": "mlp",
                "name": name,
                "space": SPACE,
                "objective": "val_acc",
                "mode": "max",
                "sampler": "random",
                "seed": 7,
                "max_configs": CONFIGS,
                "n_trials": REPEATS,
                "fixed": {"epochs": 6},
            },
        ).json()
        while True:
            work = http.post("/work", json={"worker": "sweeper", "sweep": sweep["id"]}).json()
            if work["trial"] is None:
                assert work["reason"] == "sweep_finished", work
                break
            trial = work["trial"]
            values = _accuracy(trial["hyper_parameters"], trial["number"])
            http.post(
                "/points",
                json={
                    "series": [
                        {
                            "trial_id": trial["id"],
                            "metric": "val_acc",
                            "steps": list(range(len(values))),
                            "values": values,
                        }
                    ]
                },
            ).raise_for_status()
            if n_ended is not None and n_ended == 0:
                break
            http.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
            n_ended = None if n_ended is None else n_ended - 1
        return http.get(f"/sweeps/{sweep['id']}").json()


def test_sweep_page_draws_every_view(page, live_kuro):
    """The list links the sweep; its page draws 8 configurations everywhere, 3 importances
    (noted unreliable: fewer than 10 configurations), the best's 95% interval."""
    sweep = _run_sweep(live_kuro.url)
    assert sweep["n_configs"] == CONFIGS and sweep["status"] == "finished"
    page.page.goto(f"{live_kuro.url}/dashboard/")
    page.page.locator(".kuro-nav-link", has_text="Sweeps").click()
    page.page.wait_for_url("**/dashboard/sweeps")
    link = page.page.get_by_role("link", name=f"#{sweep['id']} · lr and depth")
    link.wait_for()
    page.page.get_by_text(f"{CONFIGS} / {CONFIGS}").wait_for()
    page.shot("list")
    link.click()
    page.page.wait_for_url(f"**/dashboard/sweeps/{sweep['id']}")
    page.page.wait_for_function(
        "() => ['objective', 'importance', 'parallel'].every(name => {"
        "  const gd = document.querySelector(`#sweeps-${name}-chart .js-plotly-plot`);"
        "  return gd && gd.data && gd.data.length; })"
    )
    objective = page.plots("#sweeps-objective")[0]["traces"]
    assert [t["n"] for t in objective] == [CONFIGS, CONFIGS, 1]
    (importance,) = page.plots("#sweeps-importance")[0]["traces"]
    assert importance["n"] == len(SPACE)
    (parallel,) = page.plots("#sweeps-parallel")[0]["traces"]
    assert parallel["type"] == "parcoords" and parallel["n"] == len(SPACE) + 1
    best = sweep["best"]
    page.page.get_by_text(f"Configuration #{best['number']}").wait_for()
    card = page.page.inner_text("#sweeps-best")
    assert f"{best['mean']:.4g} ± {best['std']:.3g}" in card
    assert f"[{best['ci_low']:.4g}, {best['ci_high']:.4g}]" in card
    note = page.page.locator("#sweeps-importance-chart .annotation-text")
    assert "based on 8 scored configurations; below 10 the ranking is unreliable" in (
        note.text_content()
    )
    bar = page.page.locator("#sweeps-progress-bar .kuro-progress-part")
    assert bar.count() == 1 and bar.get_attribute("data-count") == str(CONFIGS * REPEATS)
    page.page.wait_for_function(
        "n => document.querySelectorAll('#sweeps-body .ag-center-cols-container .ag-row')"
        ".length === n",
        arg=CONFIGS,
    )
    assert page.page.locator(".ag-row.kuro-best-row").count() >= 1
    # Every parameter value reads whole: no cell cut with an ellipsis ("0.00…").
    cut = page.page.evaluate(
        """() => Array.from(document.querySelectorAll(
                '#sweeps-body .ag-center-cols-container .ag-cell[col-id^="p"] .ag-cell-value'))
            .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
            .map(cell => cell.textContent)"""
    )
    assert cut == []
    page.shot("sweep")
    page.shot_of("#sweeps-body .kuro-filter-grid", "configurations")


def test_unknown_sweep_says_so(page, live_kuro):
    """A sweep that does not exist is an alert in the page, not a blank one."""
    page.page.goto(f"{live_kuro.url}/dashboard/sweeps/987654")
    page.page.get_by_text("there is no sweep '987654'").wait_for()


def test_sweep_in_progress(page, live_kuro):
    """Mid-sweep: a running trial in the progress bar, its configuration drawn hollow."""
    sweep = _run_sweep(live_kuro.url, name="in progress", n_ended=7)
    assert sweep["status_counts"] == {"complete": 7, "running": 1}
    page.page.goto(f"{live_kuro.url}/dashboard/sweeps?sweep={sweep['id']}")
    page.page.wait_for_function(
        "() => { const gd = document.querySelector('#sweeps-objective-chart .js-plotly-plot');"
        "  return gd && gd.data && gd.data.length; }"
    )
    (points, *_) = page.plots("#sweeps-objective")[0]["traces"]
    assert points["n"] == 4
    symbols = page.page.evaluate(
        "document.querySelector('#sweeps-objective-chart .js-plotly-plot').data[0].marker.symbol"
    )
    assert symbols == ["circle", "circle", "circle", "circle-open"]
    parts = page.page.locator("#sweeps-progress-bar .kuro-progress-part")
    assert [parts.nth(i).get_attribute("data-status") for i in range(parts.count())] == [
        "complete",
        "running",
    ]
    page.page.get_by_text("1 running").first.wait_for()
    page.shot("sweep")
