"""``kuro export``: the server's JSON export or a flat CSV, one row per point."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from kuro.core.export import export_columns, write_csv
from tests.client.helpers import run_kuro

DOC = {
    "schema": "kuro.export/1",
    "group": "g",
    "experiments": [
        {
            "id": 1,
            "identifier": "m",
            "hyper_parameters": {"lr": 0.1, "layers": [2, 3]},
            "trials": [
                {
                    "id": 7,
                    "number": 0,
                    "worker": "w",
                    "status": "complete",
                    "series": {"loss": {"steps": [0, 1], "values": [0.5, "NaN"], "times": [1, 2]}},
                }
            ],
        },
        {"id": 2, "identifier": "m", "hyper_parameters": {"dropout": 0.5}, "trials": []},
    ],
}


def test_csv_has_one_row_per_point_with_hyper_parameter_columns():
    """Columns are the documented ones, ``hp.<name>`` for each hyper-parameter of the group."""
    out = io.StringIO()
    assert write_csv(DOC, out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == export_columns(DOC) == [
        "group", "experiment_id", "identifier", "hp.dropout", "hp.layers", "hp.lr",
        "trial_id", "trial_number", "worker", "status", "metric", "step", "value", "time",
    ]  # fmt: skip
    assert rows[1] == [
        "g", "1", "m", "", "[2, 3]", "0.1", "7", "0", "w", "complete", "loss", "0", "0.5", "1",
    ]  # fmt: skip
    assert rows[2][-3:] == ["1", "NaN", "2"]


@pytest.mark.live
def test_kuro_export_writes_json_and_csv(live_kuro, worker, group, tmp_path):
    """The command writes the export schema as JSON, and the same points as CSV."""
    with worker.experiment(group, "model", hyper_parameters={"lr": 0.1}).trial() as trial:
        for step in range(5):
            trial.report_metric("loss", 1.0 / (step + 1))
        trial.report_metric("loss", math.inf)
    assert worker.flush()
    env = {"KURO_SERVER": live_kuro.url}
    result = run_kuro(env, "export", group, "-o", str(tmp_path / "out.json"))
    assert result.returncode == 0, result.stderr
    assert "6 points" in result.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["schema"] == "kuro.export/1" and doc["group"] == group
    series = doc["experiments"][0]["trials"][0]["series"]["loss"]
    assert series["steps"] == list(range(6)) and series["values"][-1] == "Infinity"
    result = run_kuro(env, "export", group, "--format", "csv", "-o", str(tmp_path / "out.txt"))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out.txt").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == [str(s) for s in range(6)]
    assert {r["hp.lr"] for r in rows} == {"0.1"} and rows[-1]["value"] == "Infinity"


@pytest.mark.live
def test_kuro_export_of_an_unknown_group_fails_clearly(live_kuro):
    """An unknown group is a one-line error and exit status 1."""
    result = run_kuro({"KURO_SERVER": live_kuro.url}, "export", "no-such-group-anywhere")
    assert result.returncode == 1 and "does not exist" in result.stderr
