"""An example program: a small hyper-parameter study logged over the HTTP API.

``python -m tests.dashboard.example_program http://127.0.0.1:8000`` logs group
``mnist-demo``: identifier ``mlp`` at three learning rates and ``cnn`` at one, three trials
each; a ``train_loss`` series of 1,500 steps (longer than the dashboard draws, so sampled),
a ``val_acc`` series every 10 steps, and a ``test_acc`` summary. The last trial keeps running.
"""

from __future__ import annotations

import math
import random
import sys
import time

import httpx

__all__ = ["GROUP", "SETTINGS", "STEPS", "TRIALS", "log_study"]

GROUP = "mnist-demo"
SETTINGS = [
    ("mlp", {"lr": 0.1, "hidden": 128, "dropout": 0.2}),
    ("mlp", {"lr": 0.01, "hidden": 128, "dropout": 0.2}),
    ("mlp", {"lr": 0.001, "hidden": 128, "dropout": 0.2}),
    ("cnn", {"lr": 0.01, "channels": 32}),
]
TRIALS = 3
STEPS = 1500
VAL_EVERY = 10
WORKERS = [
    {
        "name": "gpu-box-1",
        "cpu": "AMD EPYC 7543",
        "memory_gib": 256,
        "hostname": "gpu-box-1",
        "gpus": [{"name": "A100", "memory_gib": 80}],
        "platform": "Linux",
        "python_version": "3.11",
    },
    {
        "name": "laptop",
        "cpu": "Apple M2",
        "memory_gib": 16,
        "hostname": "laptop",
        "gpus": [],
        "platform": "macOS",
        "python_version": "3.12",
    },
]


def _curves(setting: int, trial: int) -> tuple[list[float], list[float], float]:
    rng = random.Random(setting * 100 + trial)
    rate = [0.004, 0.0025, 0.0008, 0.003][setting]
    floor = [0.32, 0.12, 0.35, 0.08][setting] + rng.uniform(-0.03, 0.03)
    loss = [
        floor + (2.3 - floor) * math.exp(-rate * s) + rng.gauss(0, 0.04) * math.exp(-s / 900)
        for s in range(STEPS)
    ]
    loss[700 + setting] += 0.8  # a spike that downsampling must keep
    acc = [1 - loss[s] / 2.5 + rng.gauss(0, 0.01) for s in range(0, STEPS, VAL_EVERY)]
    return loss, acc, max(acc) - rng.uniform(0, 0.01)


def log_study(url: str) -> list[int]:
    """Log the study; returns the experiment ids."""
    ids = []
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        for worker in WORKERS:
            http.post("/workers", json=worker).raise_for_status()
        now = time.time() - STEPS
        for n, (identifier, params) in enumerate(SETTINGS):
            experiment = http.post(
                "/experiments",
                json={
                    "group": GROUP,
                    "identifier": identifier,
                    "hyper_parameters": params,
                    "n_trials": TRIALS,
                    "metrics": [{"name": "train_loss"}, {"name": "val_acc"}, {"name": "test_acc"}],
                },
            ).json()
            ids.append(experiment["id"])
            for k in range(TRIALS):
                worker = WORKERS[k % 2]["name"]
                answer = http.post(
                    f"/experiments/{experiment['id']}/trials", json={"worker": worker}
                ).json()
                trial_id = answer["trial"]["id"]
                loss, acc, test = _curves(n, k)
                steps = list(range(STEPS))
                val_steps = list(range(0, STEPS, VAL_EVERY))
                http.post(
                    "/points",
                    json={
                        "series": [
                            {
                                "trial_id": trial_id,
                                "metric": "train_loss",
                                "steps": steps,
                                "values": loss,
                                "times": [now + s for s in steps],
                            },
                            {
                                "trial_id": trial_id,
                                "metric": "val_acc",
                                "steps": val_steps,
                                "values": acc,
                                "times": [now + s for s in val_steps],
                            },
                        ]
                    },
                ).raise_for_status()
                last = n == len(SETTINGS) - 1 and k == TRIALS - 1
                if not last:
                    http.post(
                        "/points",
                        json={
                            "points": [
                                {
                                    "trial_id": trial_id,
                                    "metric": "test_acc",
                                    "step": STEPS,
                                    "value": test,
                                }
                            ]
                        },
                    ).raise_for_status()
                    http.post(
                        f"/trials/{trial_id}/end", json={"status": "complete"}
                    ).raise_for_status()
    return ids


if __name__ == "__main__":
    log_study(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
