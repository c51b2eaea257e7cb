"""Experiment: get-or-create on the server, trials up to n_trials, metric modes."""

from __future__ import annotations

import pytest

import kuro
from tests.client.helpers import run_python

pytestmark = pytest.mark.live


def test_five_asks_with_n_trials_3_give_three_trials_then_none(worker, group):
    """The original loop: three trials, then None."""
    experiment = worker.experiment(group, "model", n_trials=3)
    got = []
    for _ in range(5):
        trial = experiment.trial()
        got.append(trial)
        if trial is not None:
            trial.end()
    assert [t is not None for t in got] == [True, True, True, False, False]
    assert [t.number for t in got[:3]] == [0, 1, 2]


def test_second_run_gets_none_at_once(make_worker, live_kuro, group):
    """Another run of the same setting finds the experiment full."""
    first = make_worker(live_kuro.url, name="same")
    experiment = first.experiment(group, "model", hyper_parameters={"lr": 1}, n_trials=1)
    experiment.trial().end()
    first.close()  # the first run exits
    second = make_worker(live_kuro.url, name="same")
    again = second.experiment(group, "model", hyper_parameters={"lr": 1.0}, n_trials=1)
    assert again.id == experiment.id
    assert again.trial() is None


CRASHING_RUN = """
import os, sys
from kuro import Worker
worker = Worker("resumer", sys.argv[1])
trial = worker.experiment(sys.argv[2], "model").trial()
for _ in range(3):
    trial.report_metric("loss", 1.0)
assert worker.flush()
print(trial.id, flush=True)
os._exit(9)  # dies like a SIGKILLed run: no end, no atexit, its spool lock released
"""


def test_crashed_trial_is_resumed_at_once_and_its_steps_continue(
    make_worker, live_kuro, group, api, spool_dir
):
    """A crashed run's trial is resumed by the same worker restarted on the same machine,
    within the lease, counting on from its last step."""
    crashed = run_python(CRASHING_RUN, {"KURO_SPOOL_DIR": str(spool_dir)}, live_kuro.url, group)
    assert crashed.returncode == 9, crashed.stderr
    trial_id = int(crashed.stdout.split()[0])
    again = make_worker(live_kuro.url, name="resumer")
    resumed = again.experiment(group, "model").trial()
    assert resumed.id == trial_id
    resumed.report_metric("loss", 2.0)
    assert again.flush()
    assert api.history([trial_id])[0]["metrics"]["loss"]["steps"] == [0, 1, 2, 3]


def test_a_live_twin_does_not_resume_the_trial(make_worker, live_kuro, group):
    """Two live workers with one name each run a trial of their own."""
    first = make_worker(live_kuro.url, name="twin")
    experiment = first.experiment(group, "model", n_trials=2)
    mine = experiment.trial()
    mine.report_metric("loss", 1.0)
    assert first.flush()
    other = make_worker(live_kuro.url, name="twin").experiment(group, "model", n_trials=2)
    assert other.trial().id != mine.id


def test_metrics_as_a_dict(worker, group, api):
    """``metrics={name: mode}`` sets the modes as a list of pairs would."""
    worker.experiment(group, "model", metrics={"score": "max", "test_loss": None})
    assert api.metrics(group) == {"score": "max", "test_loss": "min"}


def test_metric_without_inferable_mode_raises_mode_required(worker, group):
    """A new metric whose name says nothing needs a mode: ModeRequired at the call."""
    with pytest.raises(kuro.ModeRequired):
        worker.experiment(group, "model", metrics=["score"])
    trial = worker.experiment(group, "model").trial()
    with pytest.raises(kuro.ModeRequired):
        trial.report_metric("optimality", 0)


def test_mode_conflicting_with_the_server_raises(worker, group):
    """Asking for the other mode than the group's raises ModeConflict at the call."""
    trial = worker.experiment(group, "model", metrics=[("score", "max")]).trial()
    with pytest.raises(kuro.ModeConflict):
        trial.report_metric("score", 1.0, mode="min")
    other = worker.experiment(group, "other").trial()  # the mode is the group's, not known here
    with pytest.raises(kuro.ModeConflict):
        other.report_metric("score", 1.0, mode="min")
    with pytest.raises(kuro.ModeConflict):
        worker.experiment(group, "third", metrics=[("score", "min")])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_trials": 0}, "n_trials"),
        ({"hyper_parameters": {"f": object()}}, "hyper_parameters"),
        ({"metrics": [("acc", "best")]}, "metrics[0]"),
    ],
)
def test_bad_arguments_raise_invalid_input(worker, group, kwargs, field):
    """Bad n_trials, hyper-parameters or metric modes raise InvalidInput naming the field."""
    with pytest.raises(kuro.InvalidInput) as info:
        worker.experiment(group, "model", **kwargs)
    assert info.value.field == field
