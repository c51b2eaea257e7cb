"""PostgreSQL keeps a chunk's ``blocks`` in its row (issue 13, ``docs/storage.md``).

A downsampled read takes most chunks from their ``blocks`` (about 3 kB for 1,024 points).
Past PostgreSQL's default 2 kB row target these went to the TOAST table, and reading each
cost an index lookup and two more pages there: 2,000 of them made most of a 10,000-step
read's time in the database. With ``toast_tuple_target`` at its maximum a row keeps its
``blocks`` (the larger ``payload`` still moves out, read only for the chunks a range
cuts). Existing chunks are written again, a few thousand rows at a time, so that theirs
move in too. Nothing changes on SQLite; reversible (the default target again, the rows
rewritten back out)."""

from django.db import migrations

_TABLE = "tracking_chunk"  # the Chunk model's table
_ROWS = 5000  # chunks rewritten at a time


def _rewrite(schema_editor) -> None:
    """Writes every chunk's ``blocks`` again (a changed value is stored anew, in the row
    or out of it as the table's target now says; an unchanged one would keep its place)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {_TABLE}")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, _ROWS):
            cursor.execute(
                f"UPDATE {_TABLE} SET blocks = blocks || ''::bytea WHERE id >= %s AND id < %s",
                [start, start + _ROWS],
            )


def _inline(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {_TABLE} SET (toast_tuple_target = 8160)")
        _rewrite(schema_editor)


def _out_of_line(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {_TABLE} RESET (toast_tuple_target)")
        _rewrite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tracking", "0007_blocks_ends")]

    operations = [migrations.RunPython(_inline, _out_of_line)]
