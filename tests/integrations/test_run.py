"""What every integration shares (kuro.integrations._run): modes from names, plain
hyper-parameters, the first report of a metric, and reports after the end."""

from __future__ import annotations

import doctest
import enum
from pathlib import Path

import numpy as np
import pytest

from kuro.integrations import _run
from kuro.integrations._run import Run, infer_direction, plain
from tests.integrations.conftest import only_trial, points

pytestmark = pytest.mark.live


def test_docstring_examples():
    """Every example in the module's docstrings gives what it shows."""
    result = doctest.testmod(_run)
    assert result.attempted and not result.failed


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("val_accuracy", "max"),
        ("valid_0-auc", "max"),
        ("eval_f1", "max"),
        ("test_score", "max"),
        ("eval_samples_per_second", "max"),
        ("train_loss", "min"),
        ("validation_0-logloss", "min"),
        ("valid-rmse", "min"),
        ("train-mae", "min"),
        ("merror", "min"),
        ("valid_0 l2", "min"),
        ("train_runtime", "min"),
        ("learning_rate", None),
        ("grad_norm", None),
        ("epoch", None),
    ],
)
def test_names_imply_modes(name, mode):
    """Accuracy, AUC, F1 and scores are 'max'; losses and errors 'min'; others unknown."""
    assert infer_direction(name) == mode


class Color(enum.Enum):
    RED = "red"


def test_framework_values_become_plain_json():
    """NumPy scalars, enums, paths, functions and objects become JSON that stays the same
    from run to run (no memory address)."""

    def activation(x):
        return x

    got = plain(
        {
            "n": np.int64(3),
            "lr": np.float32(0.5),
            "flag": np.bool_(True),
            "color": Color.RED,
            "dir": Path("/tmp/x"),
            "fn": activation,
            "obj": object(),
            "cls": Path,
            "inf": float("inf"),
        }
    )
    assert got == {
        "n": 3,
        "lr": 0.5,
        "flag": True,
        "color": "red",
        "dir": "/tmp/x",
        "fn": f"{__name__}.{activation.__qualname__}",
        "obj": "builtins.object",
        "cls": "pathlib.Path",
        "inf": "inf",
    }


def test_modes_come_from_the_user_the_group_the_name_or_the_fallback(worker, api, group):
    """``metrics=`` first; a metric the group knows keeps its mode (even against its
    name); a name that implies none gets 'min'."""
    worker.experiment(group, "other", metrics={"val_f1": "min"})
    run = Run(group, worker=worker, metrics={"lr": "max"})
    run.start("model", {"depth": 2})
    run.report({"lr": 0.1, "val_f1": 0.5, "grad_norm": 2.0, "acc": 0.9, "note": "text"}, 0)
    run.report({"lr": 0.2, "acc": 0.8}, 0)  # the same step again: left out
    run.report({"lr": 0.05}, 1)
    run.end()
    assert worker.flush()
    assert api.metrics(group) == {"lr": "max", "val_f1": "min", "grad_norm": "min", "acc": "max"}
    trial = next(t for t in api.trials(group) if t["identifier"] == "model")
    assert points(api, trial["id"]) == {
        "lr": {0: 0.1, 1: 0.05},
        "val_f1": {0: 0.5},
        "grad_norm": {0: 2.0},
        "acc": {0: 0.9},
    }


def test_reports_after_the_end_are_left_out_with_one_warning(worker, api, group):
    """Once the trial ended, a report warns (once) and sends nothing."""
    run = Run(group, worker=worker)
    run.start("model", {})
    run.report({"loss": 1.0}, 0)
    run.end()
    with pytest.warns(RuntimeWarning, match="not recorded"):
        run.report({"loss": 0.5}, 1)
    run.report({"loss": 0.4}, 2)  # no second warning (filterwarnings=error would raise)
    assert worker.flush()
    trial = only_trial(api, group)
    assert points(api, trial["id"]) == {"loss": {0: 1.0}}
    assert trial["status"] == "complete"


def test_a_worker_name_makes_a_worker_on_the_server(live_kuro, api, group):
    """``worker='name'`` and ``server=``: a worker of that name, closed by ``close``."""
    run = Run(group, worker="trainer-1", server=live_kuro.url)
    run.start("model", {})
    run.report({"loss": 1.0}, 0)
    run.end()
    worker = run.worker
    run.close()
    assert worker.closed
    assert only_trial(api, group)["worker"] == "trainer-1"


def test_the_users_hyper_parameters_go_over_the_frameworks(worker, api, group):
    """``hyper_parameters=`` wins over what the framework gives, and adds to it."""
    run = Run(group, worker=worker, hyper_parameters={"lr": 0.5, "data": "v2"})
    run.start("model", {"lr": 0.1, "depth": np.int64(2)})
    run.end()
    assert worker.flush()
    assert only_trial(api, group)["hyper_parameters"] == {"lr": 0.5, "depth": 2, "data": "v2"}
