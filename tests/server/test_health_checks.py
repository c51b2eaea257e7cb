"""PostgreSQL's health check of a kept connection (``kuro.server.postgresql``): a sound one
costs no query, one whose server ended it is replaced before the request's first query."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.db import connection


@pytest.fixture
def kept(transactional_db):
    """The connection as a request finds it: open, idle, kept from an earlier request."""
    if connection.vendor != "postgresql":
        pytest.skip("the health check without a query is PostgreSQL's")
    connection.ensure_connection()
    connection.close_if_unusable_or_obsolete()  # what Django does as a request starts
    return connection


def test_a_sound_connection_is_checked_without_a_query(kept, monkeypatch):
    """The socket has nothing to say: no ``SELECT 1``, and the query runs on it."""
    asked = []
    monkeypatch.setattr(kept, "is_usable", lambda: asked.append(True) or True)
    pid = kept.connection.info.backend_pid
    with kept.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
    assert asked == [] and kept.connection.info.backend_pid == pid


def test_a_connection_its_server_ended_is_replaced_before_the_query(kept):
    """A backend terminated by the server (as in a restart) is found and replaced: the
    request's first query succeeds on a new connection."""
    pid = kept.connection.info.backend_pid
    settings = kept.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches the socket asynchronously.
    poller = select.poll()
    poller.register(kept.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(50) and time.monotonic() < deadline:
        pass
    with kept.cursor() as cursor:
        cursor.execute("SELECT 3")
        assert cursor.fetchone() == (3,)
    assert kept.connection.info.backend_pid != pid
