"""Several SQL statements of the write path in one round trip to the database, where it can.

On PostgreSQL each statement is a round trip: the server process must be woken, run it and
answer before the next is sent, which on a busy machine costs more than the statement itself.
Django's psycopg cursor binds parameters on the client, so statements joined by ``;`` travel
as one simple-query message: one round trip for all of them, run in order in the caller's
transaction, the first error aborting the rest (and the transaction). SQLite runs in this
process, costs no round trip, and its driver takes one statement per call: there they run one
by one. Either way the caller gets the same rows back.

``statements_atomic`` is the transaction they run in: ``transaction.atomic()``, except that
on PostgreSQL, outside any other transaction, its ``BEGIN`` travels with the first message
and its ``COMMIT`` with the last (``Transaction.run(..., commit=True)``), two round trips
fewer. The commit is as durable as any: the answer to that message comes once the
``COMMIT`` is done, and an error in a statement before it skips the rest of the message,
``COMMIT`` included (the transaction is then rolled back).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction

__all__ = ["Statement", "Transaction", "statements_atomic", "statements_run"]

Statement = tuple[str, Sequence[Any]]  # SQL with %s placeholders, and its parameters


class Transaction:
    """Runs statements in the transaction of ``statements_atomic``."""

    def __init__(self, *, joined: bool) -> None:
        self._begin = self._joined = joined

    def run(
        self, cursor: Any, statements: Sequence[Statement], *, commit: bool = False
    ) -> list[list[tuple]]:
        """``statements_run`` in the transaction: the first call also opens it, and one
        with ``commit`` also commits it, where ``statements_atomic`` joins them. Nothing may
        run in the block after a call with ``commit``."""
        begin = self._begin and bool(statements)
        self._begin = self._begin and not statements
        return _run(cursor, statements, begin=begin, commit=commit and self._joined)


@contextmanager
def statements_atomic() -> Iterator[Transaction]:
    """``transaction.atomic()`` for statements run by the ``Transaction`` it gives: on
    PostgreSQL, when no transaction is open yet, its ``BEGIN`` is sent with the first
    ``Transaction.run`` and its ``COMMIT`` with one called with ``commit=True`` (if none is,
    or an error is raised, the block's end commits or rolls back as ``atomic`` does). No
    other query may run in the block before the first ``run``: it would run outside the
    transaction."""
    with transaction.atomic():
        raw = connection.connection
        joined = (
            _joinable()
            and len(connection.atomic_blocks) == 1
            and connection.commit_on_exit  # autocommit was on: no transaction before
            and raw is not None
            and raw.info.transaction_status.name == "IDLE"
            and (raw.isolation_level, raw.read_only, raw.deferrable) == (None, None, None)
        )
        if joined:
            # psycopg would send its BEGIN alone before the first query: with autocommit on
            # it sends none, and the first message's BEGIN opens the transaction (later
            # queries, the ORM's too, run in it). Django still sees an atomic block; at its
            # end psycopg's commit or rollback does nothing if the transaction is over, and
            # Django turns autocommit back on as after any block.
            raw.autocommit = True
        yield Transaction(joined=joined)


def statements_run(cursor: Any, statements: Sequence[Statement]) -> list[list[tuple]]:
    """Run ``statements`` in order on ``cursor`` (Django's); each one's rows, empty for a
    statement that returns none."""
    return _run(cursor, statements, begin=False, commit=False)


def _run(
    cursor: Any, statements: Sequence[Statement], *, begin: bool, commit: bool
) -> list[list[tuple]]:
    if not statements:
        return []
    if _joinable():
        sql, params = _inline("; ".join(sql for sql, _ in statements), statements)
        sql = f"{'BEGIN; ' if begin else ''}{sql}{'; COMMIT' if commit else ''}"
        cursor.execute(sql, params or None)
        out = []
        while True:
            out.append(cursor.fetchall() if cursor.description else [])
            if not cursor.nextset():
                break
        out = out[1 if begin else 0 : len(out) - 1 if commit else len(out)]
        if len(out) != len(statements):  # pragma: no cover - a statement held a ";"
            raise RuntimeError(f"{len(statements)} statements gave {len(out)} results")
        return out
    out = []
    for one, given in statements:
        cursor.execute(one, given)
        out.append(cursor.fetchall() if cursor.description else [])
    return out


def _inline(sql: str, statements: Sequence[Statement]) -> tuple[str, list[Any]]:
    """``sql`` with its numbers, NULLs and bytes written in as literals, and the parameters
    left (strings, times).

    psycopg finds a query's placeholders in Python, one by one, and caches that only for
    short queries: a batch's statements hold hundreds, which cost more than the database's
    work. Splitting on ``%s`` here is one C call. The literals are exact: a float is its
    shortest repr typed ``float8`` (NaN, infinities and ``-0.0`` included), bytes are hex,
    a time with its zone is ISO 8601 to the microsecond. A message left with no parameter
    (the writes') is not searched for placeholders by psycopg at all."""
    parts = sql.split("%s")
    params = [p for _, given in statements for p in given]
    if len(parts) != len(params) + 1:  # pragma: no cover - a "%s" not a placeholder
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")
    out = [parts[0]]
    kept = []
    for value, part in zip(params, parts[1:], strict=True):
        kind = type(value)
        if value is None:
            out.append("NULL")
        elif kind is int:
            out.append(str(value))
        elif kind is float:
            out.append(f"'{value!r}'::float8")
        elif kind is bytes:
            out.append(f"E'\\\\x{value.hex()}'::bytea")
        elif kind is datetime and value.tzinfo is not None:
            out.append(f"'{value.isoformat()}'::timestamptz")
        else:
            out.append("%s")
            kept.append(value)
        out.append(part)
    return "".join(out), kept


def _joinable() -> bool:
    """Whether statements may be joined into one message: PostgreSQL with client-side binding
    (Django's default; server-side binding takes one statement per message)."""
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
    )
