"""The run context a trial sends: git state, command, host and packages, captured once
per process, never an error, and never a secret of the environment or the git remote."""

from __future__ import annotations

import doctest
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kuro.client import _context
from kuro.client._context import capture_context, git_context, run_context, strip_credentials
from kuro.client._sync import sync

SECRET = "s3cr3t-token-value-1234"
REMOTE = f"https://alice:{SECRET}@git.example.com/team/repo.git"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit, a remote holding a credential, and an edit."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.email", "t@example.com")
    _git(path, "config", "user.name", "t")
    (path / "train.py").write_text("print('v1')\n")
    _git(path, "add", "train.py")
    _git(path, "commit", "-q", "-m", "first")
    _git(path, "remote", "add", "origin", REMOTE)
    (path / "train.py").write_text("print('v2')\n")
    return path


@pytest.fixture
def fresh_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget this process's captured context, and turn capture on."""
    monkeypatch.setattr(_context, "_captured", None)
    monkeypatch.setattr(_context, "_body", None)
    monkeypatch.setenv("KURO_CAPTURE", "on")


def test_git_context_of_a_dirty_repository(repo):
    """Commit, branch, the dirty flag and the diff against HEAD are captured."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    git = git_context(str(repo))
    assert git is not None
    assert git["commit"] == head and git["branch"] == "main" and git["dirty"] is True
    assert "-print('v1')" in git["diff"] and "+print('v2')" in git["diff"]
    assert git["diff_truncated"] is False


def test_remote_credentials_are_stripped(repo):
    """The remote URL is kept without its user name and token."""
    git = git_context(str(repo))
    assert git is not None and git["remote"] == "https://git.example.com/team/repo.git"
    assert strip_credentials("ssh://git:pw@host/x") == "ssh://host/x"
    assert strip_credentials("https://host/x.git?access_token=t") == "https://host/x.git"


def test_a_long_diff_is_cut_with_a_note(repo, monkeypatch):
    """A diff over the cap is cut to the cap, and says so."""
    monkeypatch.setattr(_context, "DIFF_MAX", 200)
    (repo / "train.py").write_text("x = 1\n" * 500)
    git = git_context(str(repo))
    assert git is not None and git["diff_truncated"] is True
    assert len(git["diff"]) <= 200 and "the diff was cut at 200 of" in git["diff"]


def test_outside_a_repository_there_is_no_git(tmp_path, monkeypatch):
    """Outside a repository, or without git, the git part is None and nothing raises."""
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_context(str(outside)) is None
    monkeypatch.setenv("PATH", str(outside))  # no git program at all
    assert git_context(str(outside)) is None
    monkeypatch.chdir(outside)
    context = capture_context()
    assert context["git"] is None and context["cwd"] == str(outside)


def test_the_environment_is_read_only_for_named_variables(monkeypatch):
    """CUDA_VISIBLE_DEVICES and scheduler ids are captured; nothing else of the environment."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("HOSTNAME", "train-pod-7")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    context = capture_context()
    assert context["cuda_visible_devices"] == "0,1"
    assert context["scheduler"] == {"slurm_job_id": "4242", "kubernetes_pod": "train-pod-7"}
    assert context["packages"] == sorted(context["packages"]) and context["packages_hash"]
    assert SECRET not in json.dumps(context)


def test_capture_runs_once_per_process(fresh_capture, monkeypatch):
    """The context is captured once and kept: later trials do not run git again."""
    calls = []
    monkeypatch.setattr(_context, "capture_context", lambda: calls.append(1) or {"argv": []})
    assert run_context() is run_context() and calls == [1]


@pytest.mark.live
def test_online_trial_sends_its_context(fresh_capture, make_worker, live_kuro, group, api):
    """An online trial's context reaches the server, packages resolved."""
    worker = make_worker(live_kuro.url)
    with worker.experiment(group, "model", metrics=["loss"]).trial() as trial:
        trial.report_metric("loss", 1.0)
    assert worker.flush()
    context = api.trial(trial.id)["context"]
    assert context["argv"] and context["cwd"] and context["python_version"]
    assert len(context["packages"]) > 0 and context["packages_hash"]


@pytest.mark.live
def test_capture_off_sends_nothing(fresh_capture, make_worker, live_kuro, group, api):
    """``capture=False`` sends no context."""
    worker = make_worker(live_kuro.url, capture=False)
    with worker.experiment(group, "model", metrics=["loss"]).trial() as trial:
        trial.report_metric("loss", 1.0)
    assert worker.flush()
    assert api.trial(trial.id)["context"] is None


@pytest.mark.live
def test_secrets_never_reach_the_spool_or_the_server(
    fresh_capture, repo, make_worker, live_kuro, group, api, spool_dir, monkeypatch
):
    """An offline trial in a repository whose remote holds a token, with tokens in the
    environment: after ``kuro sync`` the context is stored, and no secret is in the spool
    or on the server."""
    monkeypatch.chdir(repo)
    monkeypatch.setenv("KURO_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    run_context()  # captured while the secrets are in the environment
    monkeypatch.delenv("KURO_TOKEN")  # the open test server takes no token
    worker = make_worker(live_kuro.url, mode="offline")
    with worker.experiment(group, "model", metrics=["loss"]).trial() as trial:
        trial.report_metric("loss", 1.0)
    worker.close()
    spooled = b"".join(p.read_bytes() for p in spool_dir.rglob("*") if p.is_file())
    assert b"git.example.com" in spooled and SECRET.encode() not in spooled
    assert sync(server=live_kuro.url).trials == 1
    [row] = api.trials(group)
    detail = api.trial(row["id"])
    context = detail["context"]
    assert context["git"]["remote"] == "https://git.example.com/team/repo.git"
    assert context["git"]["dirty"] is True and "+print('v2')" in context["git"]["diff"]
    assert SECRET not in json.dumps(detail)


def test_a_slow_git_is_cut_short(repo, tmp_path, monkeypatch):
    """A git slower than the timeout does not hold training: the diff is skipped, said so."""
    real = shutil.which("git")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\ncase "$1" in status|diff) sleep 3;; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(_context, "GIT_TIMEOUT", 0.5)
    started = time.monotonic()
    git = git_context(str(repo))
    assert time.monotonic() - started < 2.5
    assert git is not None and git["commit"] and git["diff_truncated"] is True
    assert "the diff was not captured" in git["diff"]


def test_docstring_examples():
    """The module's docstring examples give what they show."""
    result = doctest.testmod(_context)
    assert result.attempted and not result.failed
