"""Integration fixtures: the client's (a worker against the session's live server, each
test in its own group and spool), and reading back what a trial holds."""

from __future__ import annotations

import os
from typing import Any

import kuro
from tests.client.conftest import api, group, make_worker, spool_dir, worker  # noqa: F401

# Keras 3 runs on torch here (the only backend installed); read when Keras is imported.
os.environ["KERAS_BACKEND"] = "torch"


def points(client: kuro.Api, trial_id: int) -> dict[str, dict[int, float]]:
    """Every point of a trial: metric -> {step: value}, at full fidelity."""
    (history,) = client.history([trial_id])
    return {
        name: dict(zip(series["steps"], series["values"], strict=True))
        for name, series in history["metrics"].items()
    }


def expected(logged: list[tuple[dict[str, Any], int]]) -> dict[str, dict[int, float]]:
    """What a list of (values, step) handed to an integration should leave on the server:
    each real number, the first one of a metric at a step (frameworks repeat some)."""
    want: dict[str, dict[int, float]] = {}
    for values, step in logged:
        for name, value in values.items():
            if isinstance(value, (bool, str)):
                continue
            want.setdefault(name, {}).setdefault(int(step), float(value))
    return want


def only_trial(client: kuro.Api, name: str) -> dict[str, Any]:
    """The one trial of a group, with its experiment's identifier and hyper-parameters."""
    (row,) = client.trials(name)
    return row
