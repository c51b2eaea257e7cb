"""Several SQL statements of the write path in one round trip to the database, where it can.

On PostgreSQL each statement is a round trip: the server process must be woken, run it and
answer before the next is sent, which on a busy machine costs more than the statement itself.
Django's psycopg cursor binds parameters on the client, so statements joined by ``;`` travel
as one simple-query message: one round trip for all of them, run in order in the caller's
transaction, the first error aborting the rest (and the transaction). SQLite runs in this
process, costs no round trip, and its driver takes one statement per call: there they run one
by one. Either way the caller gets the same rows back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

__all__ = ["Statement", "statements_run"]

Statement = tuple[str, Sequence[Any]]  # SQL with %s placeholders, and its parameters


def statements_run(cursor: Any, statements: Sequence[Statement]) -> list[list[tuple]]:
    """Run ``statements`` in order on ``cursor`` (Django's); each one's rows, empty for a
    statement that returns none."""
    if not statements:
        return []
    if _joinable():
        sql, params = _inline("; ".join(sql for sql, _ in statements), statements)
        cursor.execute(sql, params or None)
        out = []
        while True:
            out.append(cursor.fetchall() if cursor.description else [])
            if not cursor.nextset():
                break
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
    shortest repr typed ``float8`` (NaN, infinities and ``-0.0`` included), bytes are hex."""
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
