"""Downloads: CSV with one row per point, strict JSON."""

from __future__ import annotations

import csv
import io
import json
import math

from kuro.dashboard.export import export_csv, export_json

DOCUMENT = {
    "schema": "kuro.export/1",
    "group": "g",
    "metrics": [{"name": "loss", "mode": "min"}],
    "experiments": [
        {
            "id": 1,
            "identifier": "mlp",
            "hyper_parameters": {"lr": 0.1},
            "trials": [
                {
                    "id": 7,
                    "number": 0,
                    "worker": "w",
                    "status": "complete",
                    "series": {
                        "loss": {"steps": [0, 1], "values": [1.5, math.nan], "times": [10.0, 11.0]}
                    },
                },
            ],
        }
    ],
}


def test_csv_has_one_row_per_point():
    """Every point is a row, in the columns of ``kuro export``: hp.<name> per key."""
    rows = list(csv.reader(io.StringIO(export_csv(DOCUMENT))))
    assert rows[0] == [
        "group", "experiment_id", "identifier", "hp.lr", "trial_id", "trial_number", "worker",
        "status", "metric", "step", "value", "time",
    ]  # fmt: skip
    assert rows[1:] == [
        ["g", "1", "mlp", "0.1", "7", "0", "w", "complete", "loss", "0", "1.5", "10.0"],
        ["g", "1", "mlp", "0.1", "7", "0", "w", "complete", "loss", "1", "NaN", "11.0"],
    ]


def test_json_is_the_document_in_wire_form():
    """The JSON download is the export document, NaN written "NaN" as ``kuro export`` does."""
    loaded = json.loads(export_json(DOCUMENT))
    assert loaded["experiments"][0]["trials"][0]["series"]["loss"]["values"] == [1.5, "NaN"]
    loaded["experiments"][0]["trials"][0]["series"]["loss"]["values"] = [1.5, math.nan]
    assert str(loaded) == str(DOCUMENT)
