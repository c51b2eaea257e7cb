"""A trial's run context: recorded by ``POST /trials/{id}/context`` (a resend sets the
same) or with the trial's acquire, shown in the trial's detail, its packages stored once
per distinct set and named by their hash alone once stored."""

from __future__ import annotations

import hashlib

import pytest

from kuro.core.limits import ARGV_MAX, DIFF_MAX, PACKAGES_MAX
from kuro.server.tracking.models import PackageSet

pytestmark = pytest.mark.django_db

PACKAGES = ["django==5.0", "numpy==2.0.0"]


def _context(**changes):
    body = {
        "git": {
            "commit": "a" * 40,
            "branch": "main",
            "dirty": True,
            "diff": "+x = 1\n",
            "diff_truncated": False,
            "remote": "https://host/repo.git",
        },
        "argv": ["train.py", "--lr", "0.1"],
        "cwd": "/home/me/project",
        "python_version": "3.11.7",
        "python_executable": "/usr/bin/python3",
        "hostname": "node-1",
        "cuda_visible_devices": "0",
        "scheduler": {"slurm_job_id": "42"},
        "packages": PACKAGES,
        "packages_hash": hashlib.sha256("\n".join(PACKAGES).encode()).hexdigest(),
    }
    body.update(changes)
    return body


def _second_trial(api, trial):
    status, answer = api.post(f"/experiments/{trial['experiment_id']}/trials", {"worker": "w2"})
    assert status == 200, answer
    return answer["trial"]


def test_context_is_in_the_trial_detail(api, trial):
    """The recorded context comes back in GET /trials/{id}, packages resolved."""
    assert api.get(f"/trials/{trial['id']}")[1]["context"] is None
    status, answer = api.post(f"/trials/{trial['id']}/context", _context())
    assert status == 200, answer
    context = api.get(f"/trials/{trial['id']}")[1]["context"]
    assert context["git"]["commit"] == "a" * 40 and context["argv"][0] == "train.py"
    assert context["packages"] == PACKAGES and context["scheduler"] == {"slurm_job_id": "42"}


def test_resend_sets_the_same(api, trial):
    """Sending the same context again changes nothing and stores no second package set."""
    first = api.post(f"/trials/{trial['id']}/context", _context())[1]["context"]
    second = api.post(f"/trials/{trial['id']}/context", _context())[1]["context"]
    assert first == second and PackageSet.objects.count() == 1


def test_packages_are_stored_once_per_set(api, trial):
    """Two trials with the same packages share one stored set; another set is another."""
    other = _second_trial(api, trial)
    api.post(f"/trials/{trial['id']}/context", _context())
    api.post(f"/trials/{other['id']}/context", _context())
    assert PackageSet.objects.count() == 1
    assert api.get(f"/trials/{other['id']}")[1]["context"]["packages"] == PACKAGES
    changed = _context(packages=["torch==2.4"], packages_hash=None)
    api.post(f"/trials/{other['id']}/context", changed)
    assert PackageSet.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"argv": ["x"] * (ARGV_MAX + 1)}, "argv"),
        ({"packages": ["p==1"] * (PACKAGES_MAX + 1), "packages_hash": None}, "packages"),
        ({"packages_hash": "0" * 64}, "packages_hash"),
    ],
)
def test_limits_name_the_field(api, trial, changes, field):
    """Too many arguments or packages, or a wrong hash, is a 422 naming the field."""
    status, body = api.post(f"/trials/{trial['id']}/context", _context(**changes))
    assert status == 422 and body["error"] == "invalid", body
    assert body["detail"]["field"].split(".")[0] == field, body


def test_a_diff_over_the_cap_is_refused(api, trial):
    """A diff beyond DIFF_MAX characters is a 422 naming it."""
    git = {**_context()["git"], "diff": "x" * (DIFF_MAX + 1)}
    status, body = api.post(f"/trials/{trial['id']}/context", _context(git=git))
    assert status == 422 and "diff" in body["detail"]["field"], body


def test_unknown_trial_is_404(api):
    """A context for a trial that does not exist is a 404."""
    status, body = api.post("/trials/987654/context", _context())
    assert status == 404 and body["detail"]["field"] == "trial_id"


def _experiment(api, n_trials=2):
    body = {"group": "g", "identifier": "ctx", "n_trials": n_trials, "metrics": [{"name": "loss"}]}
    status, experiment = api.post("/experiments", body)
    assert status == 200, experiment
    return experiment["id"]


def _acquire(api, experiment_id, context, worker="w1", session="s1"):
    body = {"worker": worker, "session": session, "context": context}
    return api.post(f"/experiments/{experiment_id}/trials", body)


def test_acquire_records_the_context_sent_with_it(api):
    """A context in the acquire body is the new trial's, as POST /trials/{id}/context sets."""
    status, answer = _acquire(api, _experiment(api), _context())
    assert status == 200, answer
    context = api.get(f"/trials/{answer['trial']['id']}")[1]["context"]
    assert context == answer["trial"]["context"]
    assert context["packages"] == PACKAGES
    assert context["packages_hash"] == _context()["packages_hash"]
    assert context["git"]["commit"] == "a" * 40 and context["hostname"] == "node-1"


def test_a_known_set_is_named_by_its_hash_alone(api, trial):
    """Once the server holds a set, a context may leave the list out: read back, the trial
    has every package all the same, and no second set is stored."""
    api.post(f"/trials/{trial['id']}/context", _context())
    experiment_id = _experiment(api)
    status, answer = _acquire(api, experiment_id, _context(packages=None))
    assert status == 200, answer
    assert api.get(f"/trials/{answer['trial']['id']}")[1]["context"]["packages"] == PACKAGES
    status, body = api.post(f"/trials/{trial['id']}/context", _context(packages=None))
    assert status == 200 and body["context"]["packages"] == PACKAGES, body
    assert PackageSet.objects.count() == 1


def test_an_unknown_hash_alone_is_404_and_acquires_nothing(api):
    """A hash the server holds no set for is a 404 naming packages_hash (the client then
    sends the list); the refused acquire started no trial."""
    experiment_id = _experiment(api, n_trials=1)
    unknown = _context(packages=None, packages_hash="f" * 64)
    status, body = _acquire(api, experiment_id, unknown)
    assert status == 404 and body["detail"]["field"] == "packages_hash", body
    assert api.get(f"/experiments/{experiment_id}")[1]["n_trials_started"] == 0
    status, answer = _acquire(api, experiment_id, _context())
    assert status == 200 and answer["trial"]["number"] == 0, answer
    status, body = api.post(f"/trials/{answer['trial']['id']}/context", unknown)
    assert status == 404 and body["detail"]["field"] == "packages_hash", body


def test_a_resumed_trial_keeps_its_context(api):
    """Acquiring again resumes the same trial, whose context stays the one it started with."""
    experiment_id = _experiment(api)
    first = _acquire(api, experiment_id, _context())[1]["trial"]
    other = _context(hostname="node-2", packages=["torch==2.4"], packages_hash=None)
    status, again = _acquire(api, experiment_id, other)
    assert status == 200 and again["trial"]["id"] == first["id"], again
    context = api.get(f"/trials/{first['id']}")[1]["context"]
    assert context["hostname"] == "node-1" and context["packages"] == PACKAGES


def test_acquire_without_a_context_records_none(api):
    """An acquire without a context (old clients, capture off) leaves the context unset."""
    status, answer = api.post(f"/experiments/{_experiment(api)}/trials", {"worker": "w1"})
    assert status == 200 and answer["trial"]["context"] is None, answer
