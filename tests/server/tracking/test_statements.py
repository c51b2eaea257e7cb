"""Statements of the write path sent together: run in order, values exact, on every backend."""

from __future__ import annotations

import struct

import pytest
from django.db import connection, transaction

from kuro.server.tracking.models import IngestBatch
from kuro.server.tracking.services.statements import statements_run

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
