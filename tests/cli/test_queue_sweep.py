"""``kuro queue`` and ``kuro sweep`` from the shell against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from scipy import stats

from kuro import Api

KURO = str(Path(sys.executable).with_name("kuro"))


def _kuro(server, *args, stdin=None):
    return subprocess.run(
        [KURO, *args, "--server", server.url],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_queue_add_grid_from_yaml_and_status(live_kuro, tmp_path):
    """A YAML spec with a 2 x 2 grid and 3 repeats queues 12 trials; status counts them."""
    spec = tmp_path / "grid.yaml"
    spec.write_text(
        "group: qy\nidentifier: dan\nn_trials: 3\nhyper_parameters: {epochs: 5}\n"
        "grid: {lr: [0.1, 0.01], dropout: [0.1, 0.5]}\n"
    )
    added = _kuro(live_kuro, "queue", "add", str(spec))
    assert added.returncode == 0, added.stderr
    assert "12 trials queued" in added.stdout
    again = _kuro(live_kuro, "queue", "add", str(spec))
    assert "0 trials queued" in again.stdout
    status = _kuro(live_kuro, "queue", "status", "--group", "qy")
    assert "queued: 12" in status.stdout and "total: 12" in status.stdout
    with Api(live_kuro.url) as api:
        experiments = api.experiments("qy")
    assert sorted(
        (e["hyper_parameters"]["lr"], e["hyper_parameters"]["dropout"]) for e in experiments
    ) == [(0.01, 0.1), (0.01, 0.5), (0.1, 0.1), (0.1, 0.5)]
    assert all(e["hyper_parameters"]["epochs"] == 5 for e in experiments)


def test_queue_add_from_flags_and_json_list(live_kuro):
    """Flags alone queue a setting; a JSON list on stdin queues each entry."""
    flags = _kuro(
        live_kuro,
        "queue",
        "add",
        "--group",
        "qf",
        "--identifier",
        "m",
        "--hyper-parameters",
        '{"lr": 0.1}',
        "--n-trials",
        "2",
    )
    assert flags.returncode == 0 and "2 trials queued" in flags.stdout
    listed = _kuro(
        live_kuro,
        "queue",
        "add",
        "-",
        stdin=json.dumps(
            [{"group": "qf", "identifier": "a"}, {"group": "qf", "identifier": "b", "n_trials": 2}]
        ),
    )
    assert listed.returncode == 0 and "3 trials queued" in listed.stdout
    missing = _kuro(live_kuro, "queue", "add", "--group", "qf")
    assert missing.returncode != 0 and "identifier" in missing.stderr


def test_sweep_create_and_status(live_kuro, tmp_path):
    """kuro sweep create prints the id; status shows progress and the best mean with its 95%
    interval (scipy's t interval over the two trials) and std."""
    spec = tmp_path / "sweep.json"
    spec.write_text(
        json.dumps(
            {
                "group": "sw",
                "identifier": "m",
                "objective": "val_loss",
                "max_configs": 2,
                "n_trials": 2,
                "sampler": "random",
                "seed": 1,
                "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True}},
            }
        )
    )
    created = _kuro(live_kuro, "sweep", "create", str(spec))
    assert created.returncode == 0, created.stderr
    sweep_id = int(created.stdout.strip())
    api = f"{live_kuro.url}/api/v1"
    values = iter([0.5, 0.7, 0.2, 0.4])
    while trial := httpx.post(f"{api}/work", json={"worker": "w", "sweep": sweep_id}).json()[
        "trial"
    ]:
        httpx.post(
            f"{api}/points",
            json={
                "points": [
                    {
                        "trial_id": trial["id"],
                        "metric": "val_loss",
                        "step": 0,
                        "value": next(values),
                    }
                ]
            },
        )
        httpx.post(f"{api}/trials/{trial['id']}/end", json={"status": "complete"})
    status = _kuro(live_kuro, "sweep", "status", str(sweep_id))
    assert status.returncode == 0, status.stderr
    assert "configurations: 2 of 2" in status.stdout and "complete 4" in status.stdout
    low, high = stats.t.interval(0.95, 1, loc=0.3, scale=stats.sem([0.2, 0.4]))
    assert f"val_loss = 0.3 [{low:.6g}, {high:.6g}] over 2 trials" in status.stdout
    assert "std 0.141421" in status.stdout
    assert str(sweep_id) in _kuro(live_kuro, "sweep", "list").stdout


def test_sweep_status_shows_no_interval_for_one_trial(live_kuro):
    """A best configuration of a single trial has a mean but no interval: a dash."""
    api = f"{live_kuro.url}/api/v1"
    sweep = httpx.post(
        f"{api}/sweeps",
        json={
            "group": "sw1",
            "identifier": "m",
            "objective": "val_loss",
            "max_configs": 1,
            "sampler": "random",
            "seed": 1,
            "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True}},
        },
    ).json()
    trial = httpx.post(f"{api}/work", json={"worker": "w", "sweep": sweep["id"]}).json()["trial"]
    httpx.post(
        f"{api}/points",
        json={
            "points": [{"trial_id": trial["id"], "metric": "val_loss", "step": 0, "value": 0.25}]
        },
    )
    httpx.post(f"{api}/trials/{trial['id']}/end", json={"status": "complete"})
    status = _kuro(live_kuro, "sweep", "status", str(sweep["id"]))
    assert status.returncode == 0, status.stderr
    assert "val_loss = 0.25 [-] over 1 trial " in status.stdout


def test_bad_sweep_spec_names_the_field(live_kuro, tmp_path):
    """A spec mistake is reported with the field at fault, and nothing is created."""
    spec = tmp_path / "bad.json"
    spec.write_text(
        json.dumps(
            {
                "group": "sw2",
                "identifier": "m",
                "objective": "loss",
                "max_configs": 3,
                "space": {"lr": {"type": "float", "low": 1, "high": 0}},
            }
        )
    )
    result = _kuro(live_kuro, "sweep", "create", str(spec))
    assert result.returncode == 1 and "space.lr" in result.stderr
