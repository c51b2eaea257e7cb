"""User-supplied strings (identifiers, metrics, hyper-parameter keys and values) are text in
every chart, never Plotly's HTML: a link stays literal, ``<b>`` changes no layout."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.live

LINK = '<a href="https://evil.example/">x</a>'
BOLD = "<b>bold</b>"
GROUP = "html-names"
NO_LINK = """() => document.querySelectorAll(
    '.js-plotly-plot a[href*="evil.example"], .js-plotly-plot b').length === 0"""


def _log(url: str) -> int:
    """Two experiments of ``LINK`` whose metric is ``BOLD`` and key ``LINK``; a trial id."""
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        trial_id = 0
        for value in (BOLD, LINK):
            experiment = http.post(
                "/experiments",
                json={
                    "group": GROUP,
                    "identifier": LINK,
                    "hyper_parameters": {LINK: value, "lr": 0.1 if value == BOLD else 0.01},
                    "n_trials": 2,
                    "metrics": [{"name": BOLD, "mode": "max"}],
                },
            )
            assert experiment.status_code < 300, experiment.text
            experiment = experiment.json()
            for k in range(2):
                trial_id = http.post(
                    f"/experiments/{experiment['id']}/trials", json={"worker": LINK}
                ).json()["trial"]["id"]
                values = [0.5 + 0.1 * k + 0.05 * s for s in range(4)]
                http.post(
                    "/points",
                    json={
                        "series": [
                            {
                                "trial_id": trial_id,
                                "metric": BOLD,
                                "steps": list(range(4)),
                                "values": values,
                            }
                        ]
                    },
                ).raise_for_status()
                http.post(f"/trials/{trial_id}/end", json={"status": "complete"})
        return trial_id


def _sweep(url: str) -> int:
    """A finished two-configuration grid sweep whose parameter and objective are markup."""
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        sweep = http.post(
            "/sweeps",
            json={
                "group": f"{GROUP}-sweep",
                "identifier": LINK,
                "name": BOLD,
                "space": {
                    LINK: {"type": "categorical", "choices": [BOLD, LINK]},
                    "lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True},
                },
                "objective": BOLD,
                "mode": "max",
                "sampler": "random",
                "seed": 3,
                "max_configs": 6,
                "n_trials": 1,
            },
        ).json()
        while (work := http.post("/work", json={"worker": LINK, "sweep": sweep["id"]}).json())[
            "trial"
        ]:
            trial = work["trial"]
            point = {"trial_id": trial["id"], "metric": BOLD, "step": 0, "value": trial["id"] / 100}
            http.post("/points", json={"points": [point]}).raise_for_status()
            http.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
        return sweep["id"]


def _plot_text(page) -> str:
    return page.page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(gd => gd.textContent).join(' ')"
    )


def test_markup_in_names_is_literal_text_in_every_chart(page, live_kuro):
    """Compare, trial and sweep pages: no link or bold element in any chart, and the
    identifier, metric and key are shown as the literal text the user wrote."""
    trial_id = _log(live_kuro.url)
    sweep_id = _sweep(live_kuro.url)
    page.page.goto(f"{live_kuro.url}/dashboard/?group={GROUP}")
    page.page.locator("#compare-parallel").scroll_into_view_if_needed()  # drawn once seen
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length === 1"
        " && document.querySelectorAll('#compare-curves .js-plotly-plot').length === 1"
        " && document.querySelectorAll('#compare-parallel .js-plotly-plot').length === 1"
    )
    assert page.page.evaluate(NO_LINK)
    text = _plot_text(page)
    assert BOLD in text and 'href="https://evil.example/">x</a>' in text
    page.shot("compare")

    page.page.goto(f"{live_kuro.url}/dashboard/trial/{trial_id}")
    page.page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0")
    assert page.page.evaluate(NO_LINK)
    assert BOLD in _plot_text(page)
    page.shot("trial")

    page.page.goto(f"{live_kuro.url}/dashboard/sweeps/{sweep_id}")
    page.page.wait_for_function(
        "() => ['objective', 'parallel'].every(name => document.querySelector("
        "`#sweeps-${name} .js-plotly-plot`))"
    )
    assert page.page.evaluate(NO_LINK)
    text = _plot_text(page)
    assert BOLD in text and "evil.example" in text
    page.shot("sweep")
