"""What each trial was: the run context a trial sends when it starts.

The git state of the working directory (commit, branch, dirty flag, the diff against HEAD
cut at ``DIFF_MAX`` characters, the remote URL without credentials), the command line, the
working directory, Python, the host, ``CUDA_VISIBLE_DEVICES``, scheduler ids (Slurm,
Kubernetes) and the installed distributions with their set's hash. No other environment
variable is read: they hold secrets.

It is captured once per process (it does not change between trials), in a background
thread a worker starts when it is made; git runs with a timeout, and every probe fails
silently to an empty value: capture never breaks training.

>>> strip_credentials("https://user:token@example.com/a/b.git")
'https://example.com/a/b.git'
>>> strip_credentials("git@example.com:a/b.git")
'git@example.com:a/b.git'
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import urllib.parse
from typing import Any

from kuro.client._transport import dumps
from kuro.core.limits import ARGV_MAX, CONTEXT_TEXT_MAX, DIFF_MAX, PACKAGES_MAX

__all__ = [
    "GIT_TIMEOUT",
    "capture_context",
    "git_context",
    "packages",
    "packages_hash",
    "prefetch_context",
    "run_context",
    "run_context_body",
    "strip_credentials",
]

GIT_TIMEOUT = 5.0
"""Seconds one git command may take (a huge repository must not hold training up)."""
CUT_NOTE = "\n[kuro: the diff was cut at {} of {} characters]\n"
SLOW_NOTE = "[kuro: git took over {} s; the diff was not captured]\n"
_SCHEDULER_VARIABLES = ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID")


def _text(value: str) -> str:
    return value[:CONTEXT_TEXT_MAX]


def strip_credentials(url: str) -> str:
    """``url`` without a user name, password or query (``https://user:token@host/x`` ->
    ``https://host/x``); scp-like remotes (``git@host:x``) name no secret and are kept."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    # A query can carry a token too (``?access_token=``): keep neither.
    return urllib.parse.urlunsplit(parts._replace(netloc=host, query="", fragment=""))


class _Slow(Exception):
    """A git command took over ``GIT_TIMEOUT`` seconds: the rest of git is skipped."""


def _git(cwd: str, *args: str) -> str | None:
    """The output of ``git args`` in ``cwd``; None when git fails or is missing, ``_Slow``
    when it takes too long."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise _Slow from None
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def git_context(cwd: str | None = None) -> dict[str, Any] | None:
    """The git state of ``cwd`` (default: the working directory); None outside a
    repository or without git. A git command slower than ``GIT_TIMEOUT`` ends the capture:
    without a commit there is no git state; after it, the diff says it was skipped."""
    cwd = os.getcwd() if cwd is None else cwd
    try:
        commit = _git(cwd, "rev-parse", "HEAD")
        if commit is None:
            return None
        branch = (_git(cwd, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
        remote = (_git(cwd, "config", "--get", "remote.origin.url") or "").strip()
    except _Slow:
        return None
    git = {
        "commit": commit.strip()[:64],
        "branch": _text("" if branch == "HEAD" else branch),
        "dirty": False,
        "diff": "",
        "diff_truncated": False,
        "remote": _text(strip_credentials(remote)),
    }
    try:
        status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
        diff = _git(cwd, "diff", "HEAD", "--no-color", "--no-ext-diff") or ""
    except _Slow:
        git["diff"] = SLOW_NOTE.format(GIT_TIMEOUT)
        git["diff_truncated"] = True
        return git
    git["dirty"] = bool(status and status.strip())
    if len(diff) > DIFF_MAX:
        note = CUT_NOTE.format(DIFF_MAX, len(diff))
        diff = diff[: DIFF_MAX - len(note)] + note
        git["diff_truncated"] = True
    git["diff"] = diff
    return git


def packages() -> list[str]:
    """The installed distributions as sorted, distinct ``name==version`` strings."""
    found = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.add(f"{re.sub(r'[-_.]+', '-', name).lower()}=={dist.version}"[:300])
    return sorted(found)[:PACKAGES_MAX]


def packages_hash(names: list[str]) -> str:
    """The hash that names a set of distributions (the server stores each set once)."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


def _scheduler() -> dict[str, str]:
    found = {name.lower(): os.environ[name] for name in _SCHEDULER_VARIABLES if name in os.environ}
    if os.environ.get("KUBERNETES_SERVICE_HOST") and os.environ.get("HOSTNAME"):
        found["kubernetes_pod"] = os.environ["HOSTNAME"]
    return {name: value[:300] for name, value in found.items()}


def capture_context() -> dict[str, Any]:
    """The run context of this process now (the body of ``POST /trials/{id}/context``)."""
    try:
        names = packages()
    except Exception:  # a broken distribution's metadata must not break training
        names = []
    cuda = os.environ.get("CUDA_VISIBLE_DEVICES")
    return {
        "git": git_context(),
        "argv": [_text(arg) for arg in sys.argv[:ARGV_MAX]],
        "cwd": _text(os.getcwd()),
        "python_version": platform.python_version(),
        "python_executable": _text(sys.executable or ""),
        "hostname": socket.gethostname()[:300],
        "cuda_visible_devices": None if cuda is None else cuda[:300],
        "scheduler": _scheduler(),
        "packages": names,
        "packages_hash": packages_hash(names),
    }


_lock = threading.Lock()
_captured: dict[str, Any] | None = None
_body: bytes | None = None


def run_context() -> dict[str, Any]:
    """This process's run context, captured on first need and then kept."""
    global _captured, _body
    with _lock:
        if _captured is None:
            _captured = capture_context()
            _body = dumps(_captured)
        return _captured


def run_context_body() -> bytes:
    """``run_context()`` encoded once, as each trial sends it."""
    run_context()
    assert _body is not None
    return _body


def prefetch_context() -> None:
    """Capture the run context in a background thread, so the first trial need not wait."""
    if _captured is None:
        threading.Thread(target=run_context, name="kuro-context", daemon=True).start()
