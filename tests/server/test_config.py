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
