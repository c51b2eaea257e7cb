"""Tags and notes from training code: ``trial.tags``, ``trial.note`` and the same on
experiments, through a real server, through an outage, and ``Api.trials(tag=)``."""

from __future__ import annotations

import time

import pytest

import kuro
from tests.client.helpers import run_kuro, run_python


def test_trial_and_experiment_tags_and_notes_reach_the_server(worker, group, api):
    """add, remove and note on a trial and its experiment arrive, in order."""
    experiment = worker.experiment(group, "model", hyper_parameters={"lr": 0.1}, n_trials=2)
    experiment.tags.add("sweep-1")
    experiment.note = "the first learning rate"
    with experiment.trial() as trial:
        trial.report_metric("loss", 1.0)
        trial.tags.add("baseline", "keep")
        trial.tags.remove("keep")
        trial.note = "warm-up off"
        assert sorted(trial.tags) == ["baseline"] and "baseline" in trial.tags
        assert trial.note == "warm-up off"
    assert worker.flush()
    assert api.annotations(trial_id=trial.id) == {"tags": ["baseline"], "note": "warm-up off"}
    assert api.annotations(experiment_id=experiment.id) == {
        "tags": ["sweep-1"],
        "note": "the first learning rate",
    }
    record = api.trial(trial.id)
    assert (record["tags"], record["note"]) == (["baseline"], "warm-up off")


def test_bad_tags_raise_at_the_call_site(worker, group):
    """A tag with a space or a comma, or a note too long, raises InvalidInput at once."""
    trial = worker.experiment(group, "model").trial()
    with pytest.raises(kuro.InvalidInput) as caught:
        trial.tags.add("fine", "not fine")
    assert caught.value.detail["field"] == "add[1]"
    with pytest.raises(kuro.InvalidInput):
        trial.tags.remove("a,b")
    with pytest.raises(kuro.InvalidInput):
        trial.note = "x" * 10_001
    assert list(trial.tags) == []
    trial.end()


def test_tags_of_a_resumed_trial_come_from_the_server(make_worker, live_kuro, group, api):
    """A trial's tags set elsewhere (the CLI, the dashboard) are read once from the server
    and this process's changes apply on top."""
    worker = make_worker(live_kuro.url)
    trial = worker.experiment(group, "model").trial()
    assert worker.flush()
    api.annotate(trial_id=trial.id, add=["from-cli"], note="set elsewhere")
    trial.tags.add("here")
    assert list(trial.tags) == ["from-cli", "here"]
    assert trial.note == "set elsewhere"
    trial.end()


def test_api_trials_filters_by_tag(worker, group, api):
    """``Api.trials(group, tag=)``: trials carrying the tag, or whose experiment does."""
    a = worker.experiment(group, "model", hyper_parameters={"lr": 0.1}, n_trials=2)
    b = worker.experiment(group, "model", hyper_parameters={"lr": 0.2})
    b.tags.add("baseline")
    ids = {}
    for name, experiment in (("a0", a), ("a1", a), ("b0", b)):
        with experiment.trial() as trial:
            trial.report_metric("loss", 1.0)
            if name == "a1":
                trial.tags.add("best")
        ids[name] = trial.id
    assert worker.flush()
    assert {r["id"] for r in api.trials(group, tag="best")} == {ids["a1"]}
    rows = api.trials(group, tag="baseline")
    assert {r["id"] for r in rows} == {ids["b0"]}
    assert rows[0]["experiment_tags"] == ["baseline"] and rows[0]["tags"] == []
    assert api.trials(group, tag="nothing") == []
    assert len(api.trials(group)) == 3
    [with_tags] = [e for e in api.experiments(group) if e["id"] == b.id]
    assert with_tags["tags"] == ["baseline"]


def test_tags_and_notes_survive_a_server_outage(fresh_kuro, make_worker, group):
    """Set while the server is down, tags and notes wait in the spool, training goes on at
    full speed, and they arrive once the server is back."""
    worker = make_worker(fresh_kuro.url, flush_timeout=60)
    experiment = worker.experiment(group, "model", n_trials=1)
    trial = experiment.trial()
    assert worker.flush()
    fresh_kuro.kill()
    started = time.monotonic()
    trial.tags.add("during-outage", "gone")
    trial.tags.remove("gone")
    trial.note = "written while the server was down"
    experiment.tags.add("exp-tag")
    experiment.note = "experiment note"
    for step in range(100):
        trial.report_metric("loss", 1.0 / (step + 1))
    assert time.monotonic() - started < 1.0  # never waited on the dead server
    trial.end()
    assert not worker.flush(2)
    fresh_kuro.start()
    assert worker.flush(60)
    with kuro.Api(fresh_kuro.url) as api:
        assert api.annotations(trial_id=trial.id) == {
            "tags": ["during-outage"],
            "note": "written while the server was down",
        }
        assert api.annotations(experiment_id=experiment.id) == {
            "tags": ["exp-tag"],
            "note": "experiment note",
        }


def test_a_trial_made_offline_gets_its_tags_once_synced(fresh_kuro, make_worker, group):
    """A trial made while the server was down (a local reference) is tagged on delivery."""
    fresh_kuro.stop()
    worker = make_worker(fresh_kuro.url, flush_timeout=60)
    trial = worker.experiment(group, "model", n_trials=1).trial()
    assert trial is not None and trial.id is None
    trial.tags.add("offline")
    trial.note = "made offline"
    trial.end()
    fresh_kuro.start()
    assert worker.flush(60)
    with kuro.Api(fresh_kuro.url) as api:
        [row] = api.trials(group, tag="offline")
        assert row["id"] == trial.id and row["note"] == "made offline"


def test_export_has_tags_and_notes(worker, group, api):
    """``Api.export``: each experiment and trial has its tags and note."""
    experiment = worker.experiment(group, "model")
    with experiment.trial() as trial:
        trial.report_metric("loss", 0.5)
        trial.tags.add("exported")
        trial.note = "in the export"
    assert worker.flush()
    [e] = api.export(group)["experiments"]
    assert (e["tags"], e["note"]) == ([], "")
    assert (e["trials"][0]["tags"], e["trials"][0]["note"]) == (["exported"], "in the export")


TAGGING = """
import sys
from kuro import Worker
worker = Worker("tagging", sys.argv[1])
experiment = worker.experiment(sys.argv[2], "m", n_trials=1)
experiment.tags.add("from-a-dead-run")
trial = experiment.trial()
trial.report_metric("loss", 1.0)
trial.tags.add("exited")
trial.note = "the server never answered"
trial.end()
"""


def test_a_program_that_exits_while_the_server_is_down_then_kuro_sync(fresh_kuro, spool_dir, group):
    """Tags and notes left in the spool by a program that exited are uploaded by
    ``kuro sync``, with its trial."""
    fresh_kuro.stop()
    env = {"KURO_FLUSH_TIMEOUT": "1", "KURO_SPOOL_DIR": str(spool_dir)}
    result = run_python(TAGGING, env, fresh_kuro.url, group)
    assert result.returncode == 0, result.stderr
    fresh_kuro.start()
    synced = run_kuro({"KURO_SPOOL_DIR": str(spool_dir)}, "sync", "--server", fresh_kuro.url)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    with kuro.Api(fresh_kuro.url) as api:
        [row] = api.trials(group, tag="exited")
        assert row["note"] == "the server never answered"
        assert row["experiment_tags"] == ["from-a-dead-run"]


def test_api_annotate_takes_one_tag_as_a_string(worker, group, api):
    """``Api.annotate(add="baseline")`` adds one tag, not one per letter."""
    trial = worker.experiment(group, "model").trial()
    assert worker.flush()
    assert api.annotate(trial_id=trial.id, add="baseline") == {"tags": ["baseline"], "note": ""}
    assert api.annotate(trial_id=trial.id, remove="baseline")["tags"] == []
    with pytest.raises(TypeError):
        api.annotate(add=["x"])
    trial.end()
