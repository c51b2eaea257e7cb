"""The trial page's System and Output sections in real headless Chromium: charts of the
samples (apart from the metric charts), the output filtered by the search box and
downloaded as a .txt from the server."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.live

OUTPUT = (
    "".join(
        f"epoch {i} loss {1 / (i + 1):.3f}\n" + ("WARNING: slow batch\n" if i % 10 == 3 else "")
        for i in range(50)
    )
    + "<b id='evil'>markup</b>\n"
)


@pytest.fixture
def trial(live_kuro) -> dict:
    """A trial with a loss series, 12 system samples (one GPU) and 50 lines of output."""
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
        experiment = http.post(
            "/experiments",
            json={"group": "telemetry-page", "identifier": "m", "n_trials": 5},
        ).json()
        trial = http.post(f"/experiments/{experiment['id']}/trials", json={"worker": "w"}).json()[
            "trial"
        ]
        series = {"trial_id": trial["id"], "metric": "loss", "steps": [0, 1, 2]}
        points = {"batch_id": f"b{trial['id']}", "series": [{**series, "values": [3, 2, 1]}]}
        assert http.post("/points", json=points).status_code == 200
        samples = [
            {
                "time": 1.7e9 + 5 * i,
                "values": {
                    "cpu_percent": 90.0 + i,
                    "system_cpu_percent": 50.0,
                    "memory_mib": 1000.0 + i,
                    "system_memory_used_mib": 8000.0,
                    "system_memory_percent": 25.0,
                    "gpu0_utilization_percent": 70.0,
                    "gpu0_memory_mib": 4000.0,
                    "gpu0_memory_percent": 40.0,
                },
            }
            for i in range(12)
        ]
        answer = http.post(f"/trials/{trial['id']}/system", json={"samples": samples})
        assert answer.status_code == 200, answer.text
        piece = {"session": "s", "offset": 0, "text": OUTPUT, "time": 1.7e9}
        answer = http.post(f"/trials/{trial['id']}/output", json=piece)
        assert answer.status_code == 200, answer.text
    return trial


def test_system_charts_and_searchable_output(page, live_kuro, trial):
    """Three system charts beside (not among) the metric charts; the search box keeps the
    matching lines; the download is the whole output; markup stays text."""
    page.page.goto(f"{live_kuro.url}/dashboard/trial/{trial['id']}")
    page.page.get_by_text("System", exact=True).wait_for()
    page.page.wait_for_function(
        "() => document.querySelectorAll('#trial-system .js-plotly-plot').length === 3"
    )
    system = page.plots("#trial-system")
    assert [c["meta"] for c in system] == [
        "CPU and GPU use (%)",
        "Memory (MiB)",
        "Memory (% of the machine or device)",
    ]
    names = {t["meta"] for c in system for t in c["traces"]}
    assert names == {
        "cpu_percent",
        "system_cpu_percent",
        "gpu0_utilization_percent",
        "memory_mib",
        "system_memory_used_mib",
        "gpu0_memory_mib",
        "system_memory_percent",
        "gpu0_memory_percent",
    }
    assert all(t["n"] == 12 for c in system for t in c["traces"])
    metric_charts = page.plots("#trial-content .kuro-chart[data-metric]")
    assert [c["meta"] for c in metric_charts] == ["loss"]

    text = page.page.locator(".kuro-output-text")
    assert text.inner_text() == OUTPUT.rstrip("\n") or text.inner_text() == OUTPUT
    assert page.page.locator("#evil").count() == 0
    page.shot("telemetry")
    box = page.page.locator(".kuro-output-filter input")
    box.fill("warning")
    box.press("Enter")
    page.page.get_by_text("5 matching lines").wait_for()
    assert text.inner_text().strip() == "\n".join(["WARNING: slow batch"] * 5)
    page.shot("filtered")
    box.fill("")
    box.press("Enter")
    page.page.wait_for_function(
        "() => document.querySelector('.kuro-output-text').innerText.includes('epoch 49')"
    )
    with page.page.expect_download() as download:
        page.page.locator("#trial-output-download").click()
    saved = download.value
    assert saved.suggested_filename == f"trial-{trial['id']}-output.txt"
    with open(saved.path(), encoding="utf-8") as f:
        assert f.read() == OUTPUT


def test_a_trial_without_telemetry_says_so(page, live_kuro):
    """No samples and no output: each section says how to get them."""
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
        experiment = http.post("/experiments", json={"group": "quiet-page", "identifier": "m"})
        trial = http.post(
            f"/experiments/{experiment.json()['id']}/trials", json={"worker": "w"}
        ).json()["trial"]
    page.page.goto(f"{live_kuro.url}/dashboard/trial/{trial['id']}")
    page.page.get_by_text("No system samples").wait_for()
    page.page.get_by_text("No output").wait_for()
    assert page.page.locator("#trial-system .js-plotly-plot").count() == 0
