"""The work queue from training code: request_work, work(), should_prune, Trial.current."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import kuro


def test_request_work_runs_a_queued_trial(worker, api, group):
    """A queued trial comes with its hyper-parameters; reports and end reach the server."""
    api.enqueue(group, "m", {"lr": 0.1}, n_trials=1, metrics=[("loss", "min")])
    trial = worker.request_work(group=group)
    assert trial.hyper_parameters == {"lr": 0.1} and trial.id is not None
    trial.report_metric("loss", 0.5, step=0)
    trial.end()
    assert worker.flush()
    assert worker.request_work(group=group) is None
    [row] = api.trials(group)
    assert row["status"] == "complete" and row["summaries"]["loss"]["best"] == 0.5


def test_work_loop_ends_trials_and_stops_at_count(worker, api, group):
    """Trials the body leaves running are completed; count bounds the loop."""
    api.enqueue(group, "m", grid={"i": [1, 2, 3]})
    seen = [trial.hyper_parameters["i"] for trial in worker.work(group=group, count=2)]
    assert worker.flush()
    assert sorted(seen) in ([1, 2], [1, 3], [2, 3])
    assert api.queue_status(group=group)["counts"] == {"complete": 2, "queued": 1}


def test_leaving_the_loop_early_fails_the_current_trial(worker, api, group):
    """A break out of work() ends the unfinished trial as failed, with the reason."""
    api.enqueue(group, "m", grid={"i": [1, 2]})
    for _trial in worker.work(group=group):
        break
    assert worker.flush()
    failed = [t for t in api.trials(group) if t["status"] == "failed"]
    assert len(failed) == 1 and "stopped" in failed[0]["error"]


def test_should_prune_comes_from_the_servers_pruner(worker, api, group):
    """A run far below the others is flagged without a round trip, then ends pruned."""
    sweep = api.sweep_create(
        group=group,
        identifier="m",
        objective="acc",
        max_configs=10,
        seed=1,
        space={"x": {"type": "float", "low": 0, "high": 1}},
        pruner="median",
        pruner_options={"n_startup_trials": 2, "n_warmup_steps": 0},
    )
    for trial in worker.work(sweep=sweep["id"], count=3):
        trial.report_metrics({"acc": 0.8}, step=0)
        trial.report_metric("acc", 0.9, step=1)
    assert worker.flush()
    trial = worker.request_work(sweep=sweep["id"])
    trial.report_metric("acc", 0.1, step=0)
    trial.report_metric("acc", 0.1, step=1)
    assert worker.flush()
    assert trial.should_prune()
    trial.end("pruned")
    assert worker.flush()
    assert api.sweep(sweep["id"])["status_counts"] == {"complete": 3, "pruned": 1}


def test_no_pruning_outside_a_sweep(worker, api, group):
    """should_prune is False for an ordinary trial."""
    trial = worker.experiment(group, "m", metrics=["loss"]).trial()
    trial.report_metric("loss", 1.0)
    assert worker.flush() and trial.should_prune() is False
    trial.end()


AGENT_CHILD = textwrap.dedent(
    """
    import os, sys, kuro
    if sys.argv[1] == "current":
        trial = kuro.Trial.current()
    else:  # the original API, as an unchanged training script would call it
        worker = kuro.Worker("nibel")
        hp = dict(zip([a[2:] for a in sys.argv[2::2]], map(float, sys.argv[3::2])))
        trial = worker.experiment(os.environ["GROUP"], "m", hyper_parameters=hp).trial()
    assert trial.id == int(os.environ["KURO_TRIAL_ID"]), (trial.id, os.environ["KURO_TRIAL_ID"])
    trial.report_metric("loss", trial.hyper_parameters["lr"] * 10, step=0)
    trial.end()
    """
)


@pytest.mark.parametrize("style", ["current", "original"])
def test_agent_child_runs_the_claimed_trial(live_kuro, api, group, tmp_path, style):
    """Under kuro agent, Trial.current() and the original API both run the agent's trial."""
    api.enqueue(group, "m", grid={"lr": [0.1, 0.2]})
    env = {**os.environ, "GROUP": group}
    agent = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "kuro"),
            "agent",
            "--server",
            live_kuro.url,
            "--group",
            group,
            "--",
            sys.executable,
            "-c",
            AGENT_CHILD,
            style,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert agent.returncode == 0, agent.stderr
    assert "2 trials run" in agent.stderr and "0 failed" in agent.stderr, agent.stderr
    trials = api.trials(group)
    assert len(trials) == 2 and {t["status"] for t in trials} == {"complete"}
    assert sorted(t["summaries"]["loss"]["best"] for t in trials) == [1.0, 2.0]


def test_lease_lost_is_public():
    """The queue's errors are part of the public surface."""
    assert issubclass(kuro.LeaseLost, kuro.Conflict) and issubclass(kuro.ServerBusy, kuro.KuroError)
