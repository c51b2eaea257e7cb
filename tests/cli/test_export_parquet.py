"""``kuro export --format parquet``: the CSV's table, typed, every value exact (NaN and
infinities kept), read back with pyarrow and pandas; a clear error without pyarrow."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import kuro
from kuro.cli import main
from kuro.cli.export import _table
from kuro.core.export import export_columns, export_rows
from kuro.core.values import decode_value

pq = pytest.importorskip("pyarrow.parquet", reason="the dev extra installs pyarrow")

KURO = str(Path(sys.executable).with_name("kuro"))
VALUES = [0.5, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]

DOC = {
    "schema": "kuro.export/1",
    "group": "g",
    "experiments": [
        {
            "id": 1,
            "identifier": "m",
            "hyper_parameters": {"lr": 0.1, "layers": [2, 3], "seed": 2**60, "mix": 1},
            "trials": [
                {
                    "id": 7,
                    "number": 0,
                    "worker": "w",
                    "status": "complete",
                    "series": {
                        "loss": {"steps": [0, 1], "values": [0.5, "NaN"], "times": [1.0, 2.5]},
                        "acc": {"steps": [3], "values": ["-Infinity"], "times": [3.0]},
                    },
                }
            ],
        },
        {
            "id": 2,
            "identifier": "m",
            "hyper_parameters": {"dropout": True, "mix": 0.5},
            "trials": [
                {
                    "id": 8,
                    "number": 0,
                    "worker": "v",
                    "status": "running",
                    "series": {"loss": {"steps": [0], "values": [1e-300], "times": [4.0]}},
                }
            ],
        },
    ],
}


def _bits(values) -> list[bytes]:
    """Floats as their bytes, so NaN equals NaN and -0.0 differs from 0.0."""
    return [struct.pack("<d", v) for v in values]


def test_table_has_the_csv_columns_and_rows_typed():
    """Same columns and rows as ``kuro.core.export`` (the CSV), values decoded to floats
    and a hyper-parameter an experiment lacks null."""
    table = _table(DOC)
    assert table.column_names == export_columns(DOC)
    got = [list(row.values()) for row in table.to_pylist()]
    want = [
        [decode_value(cell) if i == len(row) - 2 else (None if cell == "" else cell)
         for i, cell in enumerate(row)]
        for row in export_rows(DOC)
    ]  # fmt: skip
    assert len(got) == len(want) == 4
    assert [_bits([row[-2]]) for row in got] == [_bits([row[-2]]) for row in want]
    assert [row[:-2] + row[-1:] for row in got] == [row[:-2] + row[-1:] for row in want]


def test_table_types_columns_by_their_values():
    """ids and steps int64, value and time float64, hyper-parameters typed or JSON text."""
    types = {f.name: str(f.type) for f in _table(DOC).schema}
    assert {k: types[k] for k in ("experiment_id", "trial_id", "step", "value", "time")} == {
        "experiment_id": "int64",
        "trial_id": "int64",
        "step": "int64",
        "value": "double",
        "time": "double",
    }
    assert types["hp.lr"] == "double" and types["hp.mix"] == "double"
    assert types["hp.seed"] == "int64" and types["hp.dropout"] == "bool"
    assert types["hp.layers"] == "string" and types["metric"] == "string"


def test_a_mixed_hyper_parameter_is_json_text():
    """Values of different kinds in one column are kept as JSON text, not coerced."""
    doc = {
        "schema": "kuro.export/1",
        "group": "g",
        "experiments": [
            {"id": i, "identifier": "m", "hyper_parameters": {"opt": v}, "trials": []}
            for i, v in enumerate(["adam", 3, 2**64])
        ],
    }
    for e in doc["experiments"]:
        e["trials"] = [
            {
                "id": e["id"],
                "number": 0,
                "worker": "w",
                "status": "complete",
                "series": {"loss": {"steps": [0], "values": [1.0], "times": [0.0]}},
            }
        ]
    column = _table(doc).column("hp.opt").to_pylist()
    assert column == ['"adam"', "3", str(2**64)]


@pytest.fixture
def recorded(live_kuro, tmp_path) -> tuple[str, int]:
    """A group with one trial whose loss runs through every hard float."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    hp = {"lr": 0.1, "layers": [2, 3], "seed": 2**60}
    worker = kuro.Worker("parquet", live_kuro.url, spool_dir=tmp_path / "spool")
    with worker.experiment(group, "m", metrics=["loss"], hyper_parameters=hp).trial() as trial:
        for value in VALUES:
            trial.report_metric("loss", value)
    assert worker.flush(30)
    worker.close()
    assert trial.id is not None
    return group, trial.id


@pytest.mark.live
def test_export_parquet_round_trips_every_value(live_kuro, recorded, tmp_path, capsys):
    """Read back with pyarrow and pandas: the server's points, bit for bit."""
    group, trial_id = recorded
    out = tmp_path / "out.parquet"
    assert main(["export", group, "-o", str(out), "--server", live_kuro.url]) == 0
    err = capsys.readouterr().err
    assert f"{len(VALUES)} points" in err and "(parquet)" in err
    table = pq.read_table(out)
    with kuro.Api(live_kuro.url) as api:
        doc = api.export(group)
    assert table.column_names == export_columns(doc)
    assert _bits(table.column("value").to_pylist()) == _bits(VALUES)
    assert table.column("step").to_pylist() == list(range(len(VALUES)))
    assert table.column("trial_id").to_pylist() == [trial_id] * len(VALUES)
    series = doc["experiments"][0]["trials"][0]["series"]["loss"]
    assert table.column("time").to_pylist() == series["times"]
    assert set(table.column("hp.seed").to_pylist()) == {2**60}
    frame = pytest.importorskip("pandas").read_parquet(out)
    assert _bits(frame["value"].tolist()) == _bits(VALUES)
    assert str(frame["step"].dtype) == "int64" and list(frame["hp.layers"].unique()) == ["[2, 3]"]


@pytest.mark.live
def test_export_parquet_to_stdout(live_kuro, recorded, tmp_path):
    """``kuro export G --format parquet > file`` writes a readable Parquet file."""
    group, _ = recorded
    out = tmp_path / "piped.parquet"
    with out.open("wb") as f:
        done = subprocess.run(
            [KURO, "export", group, "--format", "parquet", "--server", live_kuro.url],
            stdout=f,
            stderr=subprocess.PIPE,
            text=False,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert _bits(pq.read_table(out).column("value").to_pylist()) == _bits(VALUES)


def test_export_parquet_without_pyarrow_says_how_to_get_it(monkeypatch, capsys, tmp_path):
    """Without pyarrow: one line naming the extra, exit status 1, before any request."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    server = "http://127.0.0.1:9"  # nothing listens: a request would fail otherwise
    out = tmp_path / "out.parquet"
    assert main(["export", "g", "-o", str(out), "--server", server]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "kuro export: --format parquet needs pyarrow: pip install 'kuro[parquet]'"
    assert not out.exists()
