"""The workers page in real headless Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.live


def test_workers_and_running_trials(page, study):
    """Each worker with its resources, and the trial still running, linked to its page."""
    page.page.goto(f"{study['url']}/dashboard/workers")
    page.page.get_by_text("gpu-box-1", exact=True).first.wait_for()
    page.page.get_by_text("A100 (80 GiB)").wait_for()
    running = page.page.locator("a[href*='/dashboard/trial/']")
    running.first.wait_for()
    assert running.count() >= 1
    page.shot("workers")
