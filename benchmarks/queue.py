"""Issue 5: the work queue and sweeps, through a real ``kuro server``.

- TPE against random search on a noisy function with a known optimum: distance to the
  optimum after 40 configurations, averaged over seeds (random search is the baseline).
- Claim latency (p50, p99) in a TPE sweep holding 1,000 finished configurations: each claim
  on an empty sweep asks the sampler. Baseline: a claim from a plain queue, same server.
- Claims per second with 8 agent processes draining a plain queue, on SQLite and (when
  KURO_DATABASE_URL names it) PostgreSQL.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

from benchmarks.report import figure, percentile, ratio
from kuro.server.testing import LiveServer, scratch_database

SEEDS = int(os.environ.get("KURO_BENCH_SEEDS", "5"))
CONFIGS = 40
OPTIMUM = {"x": 0.7, "y": -1.3}


def objective(x: float, y: float, noise: random.Random) -> float:
    """A noisy bowl: the minimum 0 at OPTIMUM, Gaussian noise of 0.05."""
    return (x - OPTIMUM["x"]) ** 2 + (y - OPTIMUM["y"]) ** 2 + noise.gauss(0, 0.05)


def _sweep_regret(api: str, sampler: str, seed: int) -> float:
    noise = random.Random(seed)
    with httpx.Client(base_url=api, timeout=60) as http:
        sweep = http.post(
            "/sweeps",
            json={
                "group": f"bench-{sampler}",
                "identifier": f"bowl-{seed}",
                "objective": "loss",
                "sampler": sampler,
                "seed": seed,
                "max_configs": CONFIGS,
                "space": {
                    "x": {"type": "float", "low": -5, "high": 5},
                    "y": {"type": "float", "low": -5, "high": 5},
                },
            },
        ).json()
        best = math.inf
        while (
            trial := http.post("/work", json={"worker": "bench", "sweep": sweep["id"]}).json()[
                "trial"
            ]
        ) is not None:
            hp = trial["hyper_parameters"]
            value = objective(hp["x"], hp["y"], noise)
            http.post(
                "/points",
                json={
                    "points": [
                        {"trial_id": trial["id"], "metric": "loss", "step": 0, "value": value}
                    ]
                },
            )
            http.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
            # Regret measured on the true (noise-free) function at the chosen setting.
            best = min(best, (hp["x"] - OPTIMUM["x"]) ** 2 + (hp["y"] - OPTIMUM["y"]) ** 2)
    return best


_PREFILL = """
import random, django
django.setup()
from kuro.server.queue.models import SweepConfig
from kuro.server.queue.services import sweep_create
from kuro.server.tracking.services import experiment_get_or_create
sweep = sweep_create(group="bench-claim", identifier="tpe", objective="loss", sampler="tpe",
                     seed=1, max_configs=100000,
                     space={"x": {"type": "float", "low": -5, "high": 5},
                            "y": {"type": "float", "low": -5, "high": 5}})
rng = random.Random(1)
for n in range(1000):
    params = {"x": rng.uniform(-5, 5), "y": rng.uniform(-5, 5)}
    e = experiment_get_or_create(group="bench-claim", identifier="tpe", hyper_parameters=params)
    SweepConfig.objects.create(sweep=sweep, number=n, experiment=e, params=params,
                               state="complete", value=params["x"] ** 2 + params["y"] ** 2)
print(sweep.pk)
"""


def _prefill_sweep(server: LiveServer) -> int:
    env = {**server.env(), "DJANGO_SETTINGS_MODULE": "kuro.server.settings"}
    out = subprocess.run(
        [sys.executable, "-c", _PREFILL], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def _claim_latencies(api: str, body: dict, n: int, end: bool = True) -> list[float]:
    out = []
    with httpx.Client(base_url=api, timeout=120) as http:
        for _ in range(n):
            t = time.perf_counter()
            trial = http.post("/work", json=body).json()["trial"]
            out.append(time.perf_counter() - t)
            if end and trial is not None:
                http.post(
                    "/points",
                    json={
                        "points": [
                            {"trial_id": trial["id"], "metric": "loss", "step": 0, "value": 1.0}
                        ]
                    },
                )
                http.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
    return out


def _drain(api: str, name: str) -> int:
    n = 0
    with httpx.Client(base_url=api, timeout=120) as http:
        while http.post("/work", json={"worker": name, "group": "drain"}).json()["trial"]:
            n += 1
    return n


def _claims_per_second(server: LiveServer, n_trials: int = 2000) -> float:
    api = f"{server.url}/api/v1"
    with httpx.Client(base_url=api, timeout=120) as http:
        http.post(
            "/queue",
            json={
                "group": "drain",
                "identifier": "m",
                "grid": {"i": list(range(n_trials // 10))},
                "n_trials": 10,
            },
        )
    started = time.perf_counter()
    with ProcessPoolExecutor(8) as pool:
        counts = list(pool.map(_drain, [api] * 8, [f"agent{i}" for i in range(8)]))
    elapsed = time.perf_counter() - started
    assert sum(counts) == n_trials, counts
    return n_trials / elapsed


def run() -> None:
    base = os.environ.pop("KURO_DATABASE_URL", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            server = LiveServer(Path(tmp) / "server", workers=2)
            server.start()
            try:
                api = f"{server.url}/api/v1"
                regrets = {
                    s: [_sweep_regret(api, s, seed) for seed in range(SEEDS)]
                    for s in ("random", "tpe")
                }
                sweep_id = _prefill_sweep(server)
                _claim_latencies(api, {"worker": "warm", "sweep": sweep_id}, 3)
                tpe = _claim_latencies(api, {"worker": "b", "sweep": sweep_id}, 40)
                with httpx.Client(base_url=api, timeout=60) as http:
                    http.post(
                        "/queue",
                        json={"group": "plain", "identifier": "m", "grid": {"i": list(range(40))}},
                    )
                plain = _claim_latencies(api, {"worker": "b", "group": "plain"}, 40)
                sqlite_rate = _claims_per_second(server)
            finally:
                server.stop()
            pg_rate = None
            if base:
                url, drop = scratch_database(base)
                pg = LiveServer(Path(tmp) / "pg", workers=2, database_url=url)
                pg.start()
                try:
                    pg_rate = _claims_per_second(pg)
                finally:
                    pg.stop()
                    drop()
    finally:
        if base is not None:
            os.environ["KURO_DATABASE_URL"] = base
    random_regret = statistics.fmean(regrets["random"])
    tpe_regret = statistics.fmean(regrets["tpe"])
    figure(
        f"random search: squared distance to optimum after {CONFIGS} configs",
        random_regret,
        "",
        f"mean of {SEEDS} seeds",
    )
    figure(
        f"TPE: squared distance to optimum after {CONFIGS} configs",
        tpe_regret,
        "",
        f"mean of {SEEDS} seeds",
    )
    ratio("TPE distance / random distance", tpe_regret, random_regret, "< 1")
    figure("claim from a plain queue, p50", percentile(plain, 0.5) * 1000, "ms")
    figure("claim in a TPE sweep of 1,000 finished configs, p50", percentile(tpe, 0.5) * 1000, "ms")
    figure(
        "claim in a TPE sweep of 1,000 finished configs, p99", percentile(tpe, 0.99) * 1000, "ms"
    )
    ratio("TPE-sweep claim p50 / plain claim p50", percentile(tpe, 0.5), percentile(plain, 0.5))
    figure("claims/s, 8 agents draining 2,000 queued trials, SQLite", sqlite_rate, "claims/s")
    if pg_rate is not None:
        figure("claims/s, 8 agents draining 2,000 queued trials, PostgreSQL", pg_rate, "claims/s")
        ratio("PostgreSQL claims/s / SQLite claims/s", pg_rate, sqlite_rate)
