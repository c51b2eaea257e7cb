"""The trial page in real headless Chromium: reached from the trials table."""

from __future__ import annotations

import httpx
import pytest

from tests.dashboard.example_program import GROUP
from tests.server.tracking.test_context import _context

pytestmark = pytest.mark.live


def test_trial_page_from_the_trials_table(page, study):
    """A trial link opens the trial's status, hyper-parameters, summaries and series."""
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    link = page.page.locator("#compare-body a[href*='/dashboard/trial/']").first
    link.click()
    page.page.wait_for_url("**/dashboard/trial/*")
    page.page.get_by_text("Hyper-parameters", exact=True).wait_for()
    page.page.get_by_text("complete", exact=True).first.wait_for()
    page.page.wait_for_function(
        "() => document.querySelectorAll('#trial-content .js-plotly-plot').length === 2"
    )
    charts = page.plots("#trial-content")
    assert sorted(c["meta"] for c in charts) == ["train_loss", "val_acc"]
    assert all(len(c["traces"]) == 1 for c in charts)
    assert page.page.locator("#trial-content .kuro-note").count() == 1  # train_loss is sampled
    assert GROUP in page.page.locator("#trial-subtitle").inner_text()
    page.shot("trial")


def test_missing_trial_is_an_error_in_the_page(page, study):
    """An unknown trial id says so in the page."""
    page.page.goto(f"{study['url']}/dashboard/trial/987654")
    page.page.get_by_text("there is no trial").wait_for()


def test_trial_page_shows_its_context(page, live_kuro):
    """A trial's run context shows as text; its diff and packages unfold from <details>."""
    link = '<a id="evil" href="https://evil.example/">x</a>'
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
        experiment = http.post(
            "/experiments", json={"group": "context-page", "identifier": "m"}
        ).json()
        trial = http.post(f"/experiments/{experiment['id']}/trials", json={"worker": "w"}).json()[
            "trial"
        ]
        git = {**_context()["git"], "branch": link, "diff": f"+{link}\n"}
        answer = http.post(f"/trials/{trial['id']}/context", json=_context(git=git))
        assert answer.status_code == 200, answer.text
    page.page.goto(f"{live_kuro.url}/dashboard/trial/{trial['id']}")
    page.page.get_by_text("Context", exact=True).wait_for()
    page.page.get_by_text("a" * 40, exact=True).wait_for()
    assert not page.page.locator("#trial-context-diff").get_attribute("open")
    page.page.locator("#trial-context-diff summary").click()
    assert link in page.page.locator("#trial-context-diff pre").inner_text()
    page.page.locator("#trial-context-packages summary").click()
    assert "numpy==2.0.0" in page.page.locator("#trial-context-packages pre").inner_text()
    assert page.page.locator("#evil").count() == 0
    page.shot("context")
