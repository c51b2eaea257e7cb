"""Grid rows and columns: differing hyper-parameters, trial links, aggregate rows."""

from __future__ import annotations

from kuro.dashboard.tables import (
    aggregate_table,
    experiment_colors,
    experiment_labels,
    experiment_table,
    short_names,
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


def test_labels_name_the_differing_values():
    """Labels carry identifier, id and the values that differ."""
    assert experiment_labels(EXPERIMENTS) == {1: "mlp #1 · lr=0.1", 2: "mlp #2 · lr=0.01"}
    assert experiment_colors([5, 2]) == {2: "#4e79a7", 5: "#f28e2b"}


def test_short_names_unless_ambiguous():
    """Dotted identifiers shorten to their last part only when that stays unique."""
    assert short_names(["a.b.Dan", "x.Cnn", "plain"]) == {
        "a.b.Dan": "Dan",
        "x.Cnn": "Cnn",
        "plain": "plain",
    }
    assert short_names(["a.Dan", "b.Dan"]) == {"a.Dan": "a.Dan", "b.Dan": "b.Dan"}


def test_trial_table_links_and_bests():
    """Each trial links to its page and shows its best per metric and its duration."""
    rows, columns = trial_table(EXPERIMENTS, METRICS, {1: "A"}, "/dashboard/trial/")
    assert rows[0]["trial"] == "[#10 · 0](/dashboard/trial/10)"
    assert rows[0]["m0"] == 0.5 and rows[0]["seconds"] == 90.0
    assert rows[1]["seconds"] is None and rows[1]["worker"] == ""
    assert any(c.get("cellRenderer") == "markdown" for c in columns)


def test_aggregate_table_rows():
    """Aggregate rows keep the statistics and get a stable key."""
    rows, _ = aggregate_table(
        [
            {
                "experiment_id": 1,
                "metric": "acc",
                "mode": "max",
                "n": 2,
                "n_trials": 3,
                "mean": 0.5,
                "best": 0.6,
                "std": 0.1,
            }
        ],
        {1: "A"},
    )
    assert rows == [
        {
            "key": "1:acc",
            "experiment": "A",
            "metric": "acc",
            "mode": "max",
            "n": 2,
            "n_trials": 3,
            "mean": 0.5,
            "best": 0.6,
            "std": 0.1,
        }
    ]
