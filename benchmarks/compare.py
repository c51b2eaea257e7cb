"""The compare page fully drawn in headless Chromium (Debian's ``/usr/bin/chromium``).

A fresh ``kuro server`` (SQLite) holds two groups logged over the HTTP API: ``bench-20x5``,
20 settings x 5 complete trials with two 300-step series (``train_loss``, ``val_acc``) and a
``test_acc`` summary, the settings close enough that several are not separated from the
leader (so the tests against it do their full work); and ``bench-1x5``, one such setting,
the baseline. Each figure is the median of three runs, from navigation to the page fully
drawn: a winner chart per metric with every setting, the aggregates table and the default
curves (top 5 settings). Two figures per group:

- cold: the first navigation in a fresh browser context (an empty cache: plotly.js, the
  Dash bundles and the page are all fetched and evaluated);
- warm: a second navigation in that same context (the browser's cache holds the scripts,
  which are still evaluated again; the server answers the page anew).

The server is warmed up first (one cold and warm load of the baseline, not counted), and
each 20x5 figure is also given as a ratio to the 1x5 baseline of the same run.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.report import figure, ratio
from kuro.server.testing import LiveServer

CHROMIUM = "/usr/bin/chromium"
SETTINGS = 20
TRIALS = 5
STEPS = 300
REPEATS = 3
TARGET = 1.5  # seconds, 20 settings x 5 trials

_DRAWN = """(n) => {
    const forests = Array.from(document.querySelectorAll('#compare-bars .js-plotly-plot'));
    const curves = document.querySelectorAll('#compare-curves .js-plotly-plot');
    const rows = document.querySelectorAll('#compare-wins .ag-center-cols-container .ag-row');
    return forests.length === 3 && curves.length === 2 && rows.length > 0 && forests.every(
        gd => gd.data.reduce((k, t) => k + t.x.length, 0) === n);
}"""


def _log(url: str, group: str, settings: int) -> None:
    rng = random.Random(group)
    with httpx.Client(base_url=f"{url}/api/v1", timeout=120) as http:
        for s in range(settings):
            experiment = http.post(
                "/experiments",
                json={
                    "group": group,
                    "identifier": "model",
                    "hyper_parameters": {"lr": 10 ** -(1 + s % 4), "width": 64 * (1 + s // 4)},
                    "n_trials": TRIALS,
                    "metrics": [{"name": "train_loss"}, {"name": "val_acc"}, {"name": "test_acc"}],
                },
            ).json()
            floor = 0.05 + 0.004 * s  # neighbours overlap: not all separated
            for k in range(TRIALS):
                trial = http.post(
                    f"/experiments/{experiment['id']}/trials", json={"worker": f"w{s}-{k}"}
                ).json()["trial"]["id"]
                noise = rng.gauss(0, 0.01)
                loss = [floor + noise + 2 * 0.99**i + rng.gauss(0, 0.01) for i in range(STEPS)]
                acc = [1 - v / 2.5 for v in loss]
                http.post(
                    "/points",
                    json={
                        "series": [
                            {
                                "trial_id": trial,
                                "metric": "train_loss",
                                "steps": list(range(STEPS)),
                                "values": loss,
                            },
                            {
                                "trial_id": trial,
                                "metric": "val_acc",
                                "steps": list(range(STEPS)),
                                "values": acc,
                            },
                        ],
                        "points": [
                            {
                                "trial_id": trial,
                                "metric": "test_acc",
                                "step": STEPS,
                                "value": acc[-1],
                            }
                        ],
                    },
                ).raise_for_status()
                http.post(f"/trials/{trial}/end", json={"status": "complete"}).raise_for_status()


def _draw_seconds(browser, url: str, group: str, n: int) -> tuple[float, float]:
    """Median seconds to the page fully drawn: (cold, warm)."""
    cold, warm = [], []
    for _ in range(REPEATS):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        for times in (cold, warm):
            started = time.perf_counter()
            page.goto(f"{url}/dashboard/?group={group}&metric=val_acc")
            page.wait_for_function(_DRAWN, arg=n, polling=20)
            times.append(time.perf_counter() - started)
        context.close()
    return statistics.median(cold), statistics.median(warm)


def run() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env_url = os.environ.pop("KURO_DATABASE_URL", None)
        server = LiveServer(Path(tmp) / "server", workers=2, database_url=None)
        try:
            server.start()
            _log(server.url, "bench-20x5", SETTINGS)
            _log(server.url, "bench-1x5", 1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
                )
                _draw_seconds(browser, server.url, "bench-1x5", 1)  # warm the server up
                baseline = _draw_seconds(browser, server.url, "bench-1x5", 1)
                full = _draw_seconds(browser, server.url, "bench-20x5", SETTINGS)
                browser.close()
        finally:
            server.stop()
            if env_url is not None:
                os.environ["KURO_DATABASE_URL"] = env_url
    target = f"(target < {TARGET} s)"
    kinds = ("cold (fresh context, empty cache)", "warm (same context, cached)")
    for i, kind in enumerate(kinds):
        figure(f"compare page drawn, 1x{TRIALS}, {kind}", baseline[i], "s")
        figure(f"compare page drawn, {SETTINGS}x{TRIALS}, {kind}", full[i], "s", target)
        ratio(f"{SETTINGS}x{TRIALS} / 1x{TRIALS}, {kind.split()[0]}", full[i], baseline[i])
