"""A trial's run context: recorded by ``POST /trials/{id}/context`` (a resend sets the
same), shown in the trial's detail, its packages stored once per distinct set."""

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
