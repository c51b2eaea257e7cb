"""Grid rows and columns: differing hyper-parameters, trial links, aggregate rows."""

from __future__ import annotations

import pytest

from kuro.core.labels import experiment_labels
from kuro.dashboard.comparison import settings
from kuro.dashboard.tables import (
    aggregate_table,
    experiment_colors,
    experiment_table,
    trial_table,
)

METRICS = [{"name": "acc", "mode": "max"}, {"name": "loss", "mode": "min"}]
EXPERIMENTS = [
    {
        "id": 1,
        "identifier": "mlp",
        "hyper_parameters": {"lr": 0.1, "depth": 2},
        "metrics": ["acc"],
        "status_counts": {"complete": 1, "running": 1},
        "trials": [
            {
                "id": 10,
                "number": 0,
                "worker": "w",
                "status": "complete",
                "started_at": "2026-01-01T00:00:00+00:00",
                "ended_at": "2026-01-01T00:01:30+00:00",
                "summaries": {"acc": {"best": 0.5, "last": 0.5, "last_step": 3, "count": 4}},
            },
            {
                "id": 11,
                "number": 1,
                "worker": None,
                "status": "running",
                "started_at": None,
                "ended_at": None,
                "summaries": {},
            },
        ],
    },
    {
        "id": 2,
        "identifier": "mlp",
        "hyper_parameters": {"lr": 0.01, "depth": 2},
        "metrics": ["acc"],
        "status_counts": {},
        "trials": [],
    },
]


def test_experiment_table_shows_only_differing_keys():
    """Only lr differs, so only lr is a column; means per metric are filled."""
    rows, columns = experiment_table(EXPERIMENTS, METRICS)
    hp = next(c for c in columns if c.get("headerName") == "Hyper-parameters")
    assert [c["headerName"] for c in hp["children"]] == ["lr"]
    assert rows[0]["p0"] == 0.1 and rows[0]["m0"] == 0.5 and "m1" not in rows[0]
    assert (rows[0]["done"], rows[0]["running"]) == (1, 1)


def test_experiment_means_leave_out_trials_that_ended_early():
    """A failed or pruned trial's best (from before it ended) is not in its experiment's
    mean, as the comparison counts it; a running trial's is, so the table follows a group
    while it trains."""

    def trial(tid: int, status: str, best: float) -> dict:
        return {"id": tid, "status": status, "summaries": {"acc": {"best": best}}}

    experiment = {
        "id": 3,
        "identifier": "mlp",
        "hyper_parameters": {},
        "metrics": ["acc"],
        "status_counts": {"complete": 1, "running": 1, "failed": 1, "pruned": 1},
        "trials": [
            trial(30, "complete", 0.9),
            trial(31, "running", 0.8),
            trial(32, "failed", 0.1),
            trial(33, "pruned", 0.2),
            trial(34, "lost", 0.3),
        ],
    }
    rows, columns = experiment_table([experiment], METRICS)
    assert rows[0]["m0"] == pytest.approx(0.85)
    means = next(c for c in columns if c.get("headerName") == "Mean of trial bests")
    assert "failed and pruned trials left out" in means["headerTooltip"]


def test_labels_name_the_differing_values():
    """Labels carry identifier, id and the values that differ."""
    assert experiment_labels(EXPERIMENTS) == {1: "mlp #1 · lr=0.1", 2: "mlp #2 · lr=0.01"}
    assert experiment_colors([5, 2]) == {2: "#0072B2", 5: "#E69F00"}  # Okabe-Ito first


def test_trial_table_links_and_bests():
    """Each trial links to its page and shows its best per metric and its duration."""
    rows, columns = trial_table(EXPERIMENTS, METRICS, {1: "A"}, "/dashboard/trial/")
    assert rows[0]["trial"] == "[#10 · 0](/dashboard/trial/10)"
    assert rows[0]["m0"] == 0.5 and rows[0]["seconds"] == 90.0
    assert rows[1]["seconds"] is None and rows[1]["worker"] == ""
    assert any(c.get("cellRenderer") == "KuroLink" for c in columns)


def test_colours_stay_distinct_past_ten():
    """Eighteen settings get eighteen different colours (no repeat after ten)."""
    colors = experiment_colors(range(18))
    assert len(set(colors.values())) == 18


def test_tables_show_infinities_and_dash_for_missing():
    """A -inf best is a value (its wire string, which the grid shows as -Infinity), not a
    blank; a missing value is null, which the grid shows as a dash (``kuroNumber``)."""
    diverged = dict(EXPERIMENTS[0], trials=[dict(EXPERIMENTS[0]["trials"][0])])
    diverged["trials"][0]["summaries"] = {"acc": {"best": float("-inf"), "count": 2}}
    rows, columns = experiment_table([diverged], METRICS)
    assert rows[0]["m0"] == "-Infinity"
    trials, _ = trial_table([diverged], METRICS, {1: "A"}, "/t/")
    assert trials[0]["m0"] == "-Infinity" and "m1" not in trials[0]
    formatter = columns[-1]["children"][0]["valueFormatter"]["function"]
    assert formatter == "kuroNumber(params.value)"


def test_aggregate_table_rows():
    """One row per metric and setting, in rank order, the leader first; infinities as
    wire strings, missing values as null."""
    comparison = {
        "mode": "min",
        "experiments": [
            {"experiment_id": 1, "hyper_parameters": {}, "values": [0.5, 0.7]},
            {"experiment_id": 2, "hyper_parameters": {}, "values": [float("-inf"), 0.1]},
            {"experiment_id": 3, "hyper_parameters": {}, "values": [0.9]},
        ],
    }
    rows_of = settings(comparison, experiment_ids=[1, 2, 3], labels={1: "A", 2: "B", 3: "C"})
    rows, columns = aggregate_table([(METRICS[1], rows_of)], "each trial's best")
    assert [(r["rank"], r["setting"]) for r in rows] == [(1, "B"), (2, "A"), (3, "C")]
    assert rows[0]["mean"] == "-Infinity" and rows[0]["verdict"] == "leader"
    assert rows[1]["mean"] == 0.6 and rows[2]["ci_low"] is None and rows[2]["std"] is None
    assert rows[1]["metric"] == "loss ↓" and rows[1]["p_value"] is None  # untestable vs -inf
    assert all(c.get("headerTooltip") for c in columns)
