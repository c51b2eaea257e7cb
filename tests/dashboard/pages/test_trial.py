"""The trial page in real headless Chromium: reached from the trials table."""

from __future__ import annotations

import pytest

from tests.dashboard.example_program import GROUP

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
