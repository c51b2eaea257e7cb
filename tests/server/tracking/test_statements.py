"""Statements of the write path sent together: run in order, values exact, on every backend."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction

from kuro.server.tracking.models import IngestBatch
from kuro.server.tracking.services.statements import statements_atomic, statements_run

pytestmark = pytest.mark.django_db

# No NaN: SQLite makes it NULL, and the write path stores NaN as NULL in its columns anyway.
FLOATS = [
    float("inf"),
    -float("inf"),
    -0.0,
    5e-324,
    0.1,
    1 / 3,
    -1.7976931348623157e308,
]


def test_values_come_back_exactly():
    """Floats (infinities, -0.0, subnormals), 64-bit integers, bytes, NULL and strings
    holding quotes and percent signs come back as sent."""
    others = [2**63 - 1, -(2**63), b"\x00'\\%s", None, "it's 100%s"]
    marks = ", ".join(["CAST(%s AS DOUBLE PRECISION)"] * len(FLOATS) + ["%s"] * len(others))
    with connection.cursor() as cursor:
        [[row]] = statements_run(cursor, [(f"SELECT {marks}", [*FLOATS, *others])])
    got = row[: len(FLOATS)]
    assert [struct.pack("<d", x) for x in got] == [struct.pack("<d", x) for x in FLOATS]
    assert [bytes(x) if isinstance(x, memoryview) else x for x in row[len(FLOATS) :]] == others


def test_statements_run_in_order_each_with_its_rows():
    """A later statement sees an earlier one's write; each returns its own rows."""
    table = IngestBatch._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        rows = statements_run(
            cursor,
            [
                (f"SELECT COUNT(*) FROM {table}", []),
                (
                    f"INSERT INTO {table} (batch_id, n_points, received_at) "
                    "VALUES (%s, %s, CURRENT_TIMESTAMP)",
                    ["b'%s", 3],
                ),
                (f"SELECT batch_id, n_points FROM {table}", []),
            ],
        )
    assert rows == [[(0,)], [], [("b'%s", 3)]]


def _batch(batch_id: str) -> tuple[str, list]:
    table = IngestBatch._meta.db_table
    return (
        f"INSERT INTO {table} (batch_id, n_points, received_at) VALUES (%s, 1, CURRENT_TIMESTAMP)",
        [batch_id],
    )


def _ids() -> list[str]:
    return sorted(IngestBatch.objects.values_list("batch_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_transaction_joined_to_its_statements_commits_with_the_last():
    """Outside any transaction, ``statements_atomic`` opens it with the first statements and
    commits it with those run with ``commit``; a query of the ORM between them runs in it.
    Django's connection is then back in autocommit with no transaction left open."""
    with statements_atomic() as tx, connection.cursor() as cursor:
        assert tx.run(cursor, [_batch("a")]) == [[]]
        IngestBatch.objects.filter(batch_id="a").update(n_points=2)
        rows = tx.run(cursor, [_batch("b"), (_count(), [])], commit=True)
    assert rows == [[], [(2,)]]
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert list(IngestBatch.objects.order_by("batch_id").values_list("n_points")) == [(2,), (1,)]
    if connection.vendor == "postgresql":
        from psycopg.pq import TransactionStatus

        assert connection.connection.info.transaction_status == TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_a_transaction_without_its_commit_is_committed_at_the_end_of_the_block():
    with statements_atomic() as tx, connection.cursor() as cursor:
        tx.run(cursor, [_batch("a")])
    assert _ids() == ["a"]


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_committing_statements_rolls_every_one_back():
    """A statement failing before the ``COMMIT`` of its message: nothing of the
    transaction is kept (the earlier message's write neither), the rest of the message is
    not run, and the connection serves the next query."""
    failing = pytest.raises(IntegrityError)
    with failing, statements_atomic() as tx, connection.cursor() as cursor:
        tx.run(cursor, [_batch("a")])
        tx.run(cursor, [_batch("b"), _batch("a"), _batch("c")], commit=True)
    assert _ids() == []
    assert connection.get_autocommit() and not connection.in_atomic_block
    with statements_atomic() as tx, connection.cursor() as cursor:
        tx.run(cursor, [_batch("d")], commit=True)
    assert _ids() == ["d"]


@pytest.mark.django_db(transaction=True)
def test_an_exception_between_the_statements_rolls_back():
    with pytest.raises(RuntimeError), statements_atomic() as tx, connection.cursor() as cursor:
        tx.run(cursor, [_batch("a")])
        raise RuntimeError("refused")
    assert _ids() == []


def test_inside_another_transaction_the_block_is_a_savepoint():
    """In an open transaction (here the test's) the block neither opens nor commits one:
    an error rolls back to where it began, and the outer transaction goes on."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            statements_run(cursor, [_batch("outer")])
        refused = pytest.raises(RuntimeError)
        with refused, statements_atomic() as tx, connection.cursor() as cursor:
            tx.run(cursor, [_batch("a")], commit=True)
            raise RuntimeError("refused")
        assert connection.in_atomic_block
    assert _ids() == ["outer"]


def _count() -> str:
    return f"SELECT COUNT(*) FROM {IngestBatch._meta.db_table}"


def test_times_come_back_to_the_microsecond():
    """A time with its zone (as the write path's heartbeats and batch ids have) is written
    in exactly, whatever its zone."""
    table = IngestBatch._meta.db_table
    east = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    utc = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    sql = f"INSERT INTO {table} (batch_id, n_points, received_at) VALUES (%s, 1, %s)"
    with connection.cursor() as cursor:
        statements_run(cursor, [(sql, ["east", east]), (sql, ["utc", utc])])
    got = dict(IngestBatch.objects.values_list("batch_id", "received_at"))
    assert got == {"east": east, "utc": utc}
