"""The issue's done-when, in a real browser: run the example program, open /dash-index,
and see which learning rate wins and how noisy its trials are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart.py"


def test_quickstart_then_dash_index(page, live_kuro, tmp_path):
    """examples/quickstart.py logs two settings x three trials; the dashboard compares them."""
    env = {**os.environ, "KURO_SERVER": live_kuro.url, "KURO_SPOOL_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(QUICKSTART)], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    page.page.goto(f"{live_kuro.url}/dash-index?group=guesser")
    page.page.get_by_text("2 experiments · 6 trials", exact=False).wait_for()
    page.page.locator("#compare-body .ag-header-select-all input").first.click()
    page.page.get_by_text("2 of 2 selected").wait_for()
    page.page.wait_for_function(
        """() => {
            const plots = Array.from(document.querySelectorAll('#compare-curves .js-plotly-plot'));
            return plots.length === 2 && plots.every(gd => gd.data && gd.data.length === 4);
        }"""
    )
    titles = sorted(p["meta"] for p in page.plots("#compare-curves"))
    assert titles == ["test_acc", "test_loss"]
    forests = page.plots("#compare-bars")
    assert forests and all(sum(t["n"] for t in p["traces"]) == 2 for p in forests)
    trials = "#compare-body a[href*='/dashboard/trial/']"
    page.page.locator(trials).first.scroll_into_view_if_needed()
    page.page.wait_for_function(f'() => document.querySelectorAll("{trials}").length === 6')
    page.shot("quickstart")
