"""The auth matrix through the real server: dashboard routes, the export and the API, with
no token, a revoked token, a read-only token and a full token; and signing out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kuro.server.testing import LiveServer, scratch_database

KURO = str(Path(sys.executable).with_name("kuro"))

# One pytest-xdist worker runs this module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("test_auth_live")

# (method, path, what a refused anonymous request gets)
ROUTES = [
    ("GET", "/dashboard/", 302),
    ("GET", "/dashboard/workers", 302),
    ("GET", "/dashboard/sweeps", 302),
    ("GET", "/dashboard/_dash-layout", 401),
    ("GET", "/dashboard/_dash-dependencies", 401),
    ("GET", "/api/v1/export?group=g", 401),
    ("GET", "/api/v1/groups", 401),
    ("POST", "/api/v1/workers", 401),
]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(tmp_path_factory.mktemp("auth"), database_url=url, auth="on")
    env = server.env()

    def kuro(*args: str) -> str:
        done = subprocess.run([KURO, *args], env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    kuro("migrate")
    tokens = {
        "full": kuro("token", "create", "full"),
        "read": kuro("token", "create", "reader", "--read-only"),
        "revoked": kuro("token", "create", "old"),
    }
    kuro("token", "revoke", "old")
    server.start()
    httpx.post(
        f"{server.url}/api/v1/experiments",
        json={"group": "g", "identifier": "m"},
        headers={"Authorization": f"Bearer {tokens['full']}"},
    ).raise_for_status()
    yield server, {"none": None, **tokens}
    server.stop()
    drop()


@pytest.mark.parametrize(("method", "path", "refused"), ROUTES)
def test_routes_by_credential(guarded, method, path, refused):
    """Anonymous and revoked: refused; read-only: reads, no writes; full: everything."""
    server, tokens = guarded
    codes = {}
    for who, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(
            method,
            server.url + path,
            headers=headers,
            json={"name": "w"} if method == "POST" else None,
            follow_redirects=False,
            timeout=30,
        )
        codes[who] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/accounts/login/")
    assert codes["none"] == refused
    assert codes["revoked"] == (401 if refused == 401 else 302)
    writes = method == "POST"
    assert codes["read"] == (403 if writes else 200)
    assert codes["full"] == 200


def test_sign_in_then_sign_out(guarded):
    """A person signs in, sees the dashboard with a sign-out link, signs out, and is out."""
    server, _ = guarded
    env = server.env()
    subprocess.run(
        [KURO, "user", "create", "ada", "--password-stdin"],
        env=env,
        input="correct horse\n",
        text=True,
        check=True,
        capture_output=True,
    )
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        browser.get("/accounts/login/")
        signed = browser.post(
            "/accounts/login/",
            data={
                "username": "ada",
                "password": "correct horse",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": "/dashboard/",
            },
        )
        assert signed.status_code == 302 and signed.headers["Location"] == "/dashboard/"
        assert browser.get("/dashboard/").status_code == 200
        layout = browser.get("/dashboard/_dash-layout")
        assert layout.status_code == 200 and "Sign out" in layout.text
        out = browser.get("/accounts/logout/")
        assert out.status_code == 302 and out.headers["Location"] == "/accounts/login/"
        assert browser.get("/dashboard/").status_code == 302
