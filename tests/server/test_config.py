"""The server's database settings, as its connections apply them."""

from __future__ import annotations

import sqlite3

import pytest

from kuro.server.config import database_settings


@pytest.fixture
def sqlite_connection(tmp_path, monkeypatch):
    """A connection opened as Django's SQLite backend opens the server's (its
    ``init_command`` run statement by statement), from the settings used without
    KURO_DATABASE_URL, whichever database this test run is on."""
    monkeypatch.delenv("KURO_DATABASE_URL", raising=False)
    settings = database_settings(tmp_path)
    connection = sqlite3.connect(settings["NAME"])
    for statement in settings["OPTIONS"]["init_command"].split(";"):
        if statement.strip():
            connection.execute(statement)
    yield connection
    connection.close()


def pragma(connection: sqlite3.Connection, name: str):
    return connection.execute(f"PRAGMA {name}").fetchone()[0]


def test_sqlite_syncs_each_commit_before_the_batch_is_answered(sqlite_connection):
    """An answered batch leaves the client's spool, so its commit must be on the disk, not
    only in the page cache: synchronous=NORMAL syncs the WAL only at checkpoints, and a
    power loss or kernel crash could then take answered batches back."""
    assert pragma(sqlite_connection, "journal_mode") == "wal"
    assert pragma(sqlite_connection, "synchronous") == 2  # FULL
    assert pragma(sqlite_connection, "foreign_keys") == 1
    assert pragma(sqlite_connection, "busy_timeout") == 30000


@pytest.mark.django_db
def test_the_servers_own_connection_syncs_each_commit():
    """Django applies those settings: on a SQLite test run its connection reads FULL (a
    PostgreSQL run checks ``synchronous_commit``, on by default, which Kuro leaves on)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2
        else:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
