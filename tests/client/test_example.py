"""The quick start example runs against a live server; the data is checked through the API."""

from __future__ import annotations

import importlib.util

import pytest

import kuro
from tests.client.helpers import REPO, all_points, run_python

pytestmark = pytest.mark.live

EXAMPLE = REPO / "examples" / "quickstart.py"


def _example():
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_example_records_every_point(fresh_kuro, spool_dir):
    """Two experiments of three complete trials each, every point as the program made it;
    a second run finds no trial left."""
    quickstart = _example()
    group, env = quickstart.GROUP, {"KURO_SERVER": fresh_kuro.url}
    result = run_python(EXAMPLE, env)
    assert result.returncode == 0, result.stderr
    assert "kuro:" not in result.stderr  # everything delivered: no spooling, no exit line
    assert result.stdout.count("done") == 6 and result.stdout.count("no trial left") == 2
    with kuro.Api(fresh_kuro.url) as api:
        experiments = api.experiments(group)
        points = all_points(api, group)
        modes = api.metrics(group)
        assert sorted(e["hyper_parameters"]["lr"] for e in experiments) == [0.001, 0.01]
        for e in experiments:
            assert e["identifier"] == quickstart.IDENTIFIER
            assert e["status_counts"] == {"complete": 3}
            assert [t["number"] for t in e["trials"]] == [0, 1, 2]
            for t in e["trials"]:
                expected = quickstart.curves(e["hyper_parameters"]["lr"], t["number"])
                for metric, values in expected.items():
                    assert points[(t["id"], metric)] == (list(range(quickstart.EPOCHS)), values)
                assert points[(t["id"], "optimality")] == ([0], [0.0])
                assert points[(t["id"], "final_metric")] == ([0], [98.0])
        assert len(points) == 6 * 4
        assert modes == {
            "final_metric": "max",
            "optimality": "min",
            "test_acc": "max",
            "test_loss": "min",
        }
        again = run_python(EXAMPLE, env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("no trial left") == 2 and "done" not in again.stdout
        assert len(api.trials(group)) == 6
