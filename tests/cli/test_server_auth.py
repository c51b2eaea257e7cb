"""``kuro server``'s safe defaults, and ``kuro token`` / ``kuro user`` from the shell."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kuro.cli.server import auth_mode
from kuro.server.config import runserver_host
from kuro.server.testing import LiveServer, free_port, scratch_database

KURO = str(Path(sys.executable).with_name("kuro"))


@pytest.mark.parametrize(
    ("host", "insecure", "configured", "on"),
    [
        ("127.0.0.1", False, None, False),
        ("localhost", False, None, False),
        ("::1", False, None, False),
        ("0.0.0.0", False, None, True),
        ("10.1.2.3", False, None, True),
        ("127.0.0.1", False, "on", True),
        ("0.0.0.0", True, None, False),
    ],
)
def test_auth_follows_the_address(host, insecure, configured, on):
    """Open on loopback, on elsewhere, off beyond loopback only with --insecure."""
    assert auth_mode(host, insecure=insecure, configured=configured)[0] is on


def test_open_beyond_loopback_needs_insecure():
    """KURO_AUTH=off on a public address is refused; --insecure warns."""
    with pytest.raises(SystemExit, match="--insecure"):
        auth_mode("0.0.0.0", insecure=False, configured="off")
    assert "WARNING" in auth_mode("0.0.0.0", insecure=True, configured=None)[1]


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KURO_DATABASE_URL", "KURO_AUTH")}
    env["KURO_DATA_DIR"] = str(data_dir)
    if database_url:
        env["KURO_DATABASE_URL"] = database_url
    return env


@pytest.fixture
def served(tmp_path):
    """A server on 0.0.0.0 (auth on by default), reached through loopback."""
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(tmp_path / "data", database_url=url, auth=None)
    yield server, url
    server.stop()
    drop()


def _kuro(*args, env, stdin=None):
    return subprocess.run(
        [KURO, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_tokens_from_the_shell_guard_a_public_server(served):
    """A token lets in, a revoked one does not, and the list never shows secrets."""
    server, url = served
    env = _env(server.data_dir, url)
    _kuro("migrate", env=env)
    created = _kuro("token", "create", "ci", env=env)
    token = created.stdout.strip()
    assert created.returncode == 0 and token.startswith("kuro_")
    reader = _kuro("token", "create", "viewer", "--read-only", env=env).stdout.strip()
    server.start(host="0.0.0.0")
    api = f"{server.url}/api/v1"
    assert httpx.get(f"{api}/groups").status_code == 401
    assert (
        httpx.get(f"{api}/groups", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    write = httpx.post(
        f"{api}/workers", json={"name": "w"}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert write.status_code == 403
    listing = _kuro("token", "list", env=env).stdout
    assert "ci" in listing and "viewer" in listing and token not in listing
    assert _kuro("token", "revoke", "ci", env=env).returncode == 0
    assert (
        httpx.get(f"{api}/groups", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert token not in server.log.read_text()


def test_user_create_and_login_page(served):
    """kuro user create makes a login; the login page signs in; a bad password is refused."""
    server, url = served
    env = _env(server.data_dir, url)
    _kuro("migrate", env=env)
    made = _kuro("user", "create", "ada", "--password-stdin", env=env, stdin="correct horse\n")
    assert made.returncode == 0, made.stderr
    short = _kuro("user", "create", "bob", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 1 and "8 characters" in short.stderr
    server.start(host="0.0.0.0")
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        page = browser.get("/accounts/login/")
        assert page.status_code == 200 and "Sign in" in page.text
        csrf = browser.cookies["csrftoken"]
        bad = browser.post(
            "/accounts/login/",
            data={"username": "ada", "password": "nope", "csrfmiddlewaretoken": csrf},
        )
        assert bad.status_code == 200 and "Wrong name or password" in bad.text
        good = browser.post(
            "/accounts/login/",
            data={"username": "ada", "password": "correct horse", "csrfmiddlewaretoken": csrf},
        )
        assert good.status_code == 302
        assert browser.get("/api/v1/groups").status_code == 200
    assert "correct horse" not in server.log.read_text()


def test_refuses_to_serve_open_beyond_loopback(tmp_path):
    """KURO_AUTH=off with --host 0.0.0.0 exits with the reason, serving nothing."""
    env = _env(tmp_path, None) | {"KURO_AUTH": "off"}
    result = _kuro("server", "--host", "0.0.0.0", "--port", "0", env=env)
    assert result.returncode != 0 and "--insecure" in result.stderr


@pytest.mark.parametrize(
    ("argv", "host"),
    [
        (["manage.py", "runserver"], "127.0.0.1"),
        (["manage.py", "runserver", "8001"], "127.0.0.1"),
        (["manage.py", "runserver", "0.0.0.0:8000", "--noreload"], "0.0.0.0"),
        (["manage.py", "runserver", "0:8000"], "0.0.0.0"),
        (["manage.py", "runserver", "--settings", "x.y", "[::1]:8000"], "::1"),
        (["manage.py", "runserver", "-6"], "::1"),
        (["manage.py", "migrate"], None),
        (["gunicorn", "kuro.server.wsgi"], None),
    ],
)
def test_runserver_address_is_read_from_its_command_line(argv, host):
    """The address runserver binds, as the auth rule needs it; None for anything else."""
    assert runserver_host(argv) == host


def test_runserver_and_kuro_server_on_loopback_agree(tmp_path):
    """manage.py runserver and kuro server on 127.0.0.1, KURO_AUTH unset: both open."""
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    env = _env(tmp_path / "data", url)
    served = LiveServer(tmp_path / "data", database_url=url, auth=None)
    runserver = None
    try:
        served.start()
        assert httpx.get(f"{served.url}/api/v1/groups").status_code == 200
        port = free_port()
        runserver = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/groups", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and runserver.poll() is None
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
    finally:
        if runserver is not None:
            runserver.terminate()
            runserver.wait(10)
        served.stop()
        drop()
