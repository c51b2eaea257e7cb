"""Block statistics a read decodes in one numpy call (issue 13, ``docs/storage.md``): each
packed chunk's ``blocks`` is written again from its points, not compressed and led by the
chunk's first and last values and times, so that a downsampled read of whole chunks
decodes no point. No column changes.

In bounded memory: chunks are read 200 at a time in id order. Reversible: going back
writes every chunk's ``blocks`` in the former encoding (version 1: the zlib of the
statistics' differences, which the code of ``0006`` reads)."""

import zlib

import numpy as np
from django.db import migrations

from kuro.server.tracking.chunks import block_stats, decode_many_points, encode_blocks

_ROWS = 200  # chunks read and written at a time
_FORMER = 1  # the version byte of the former encoding


def _delta(words: np.ndarray) -> np.ndarray:
    out = words.copy()
    out[1:] -= words[:-1]
    return out


def _xor(words: np.ndarray) -> np.ndarray:
    out = words.copy()
    out[1:] ^= words[:-1]
    return out


def _former(points) -> bytes:
    """``blocks`` in the former encoding (a copy of the code of ``0006``'s time)."""
    b = block_stats(points)
    words = [_delta(b.min_steps.view(np.uint64)), _delta(b.max_steps.view(np.uint64))]
    words += [_delta(b.min_times.view(np.uint64)), _delta(b.max_times.view(np.uint64))]
    words += [_xor(b.min_values.view(np.uint64)), _xor(b.max_values.view(np.uint64))]
    return bytes([_FORMER]) + zlib.compress(b"".join(w.tobytes() for w in words), 1)


def _rewrite(schema_editor, chunk, convert, encode) -> None:
    """Write again the ``blocks`` of every chunk with blocks that ``convert`` (their first
    byte) says, as ``encode`` makes them from the chunk's points."""
    connection = schema_editor.connection
    table = chunk._meta.db_table
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, blocks, payload FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                [last, _ROWS],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            todo = [(pk, bytes(payload)) for pk, blocks, payload in rows if convert(bytes(blocks))]
            if not todo:
                continue
            points = decode_many_points([payload for _, payload in todo])
            cursor.executemany(
                f"UPDATE {table} SET blocks = %s WHERE id = %s",
                [(encode(p), pk) for (pk, _), p in zip(todo, points, strict=True)],
            )


def _forward(apps, schema_editor):
    _rewrite(
        schema_editor,
        apps.get_model("tracking", "Chunk"),
        lambda blocks: blocks[:1] == bytes([_FORMER]),
        encode_blocks,
    )


def _backward(apps, schema_editor):
    _rewrite(
        schema_editor,
        apps.get_model("tracking", "Chunk"),
        lambda blocks: blocks[:1] not in (b"", bytes([_FORMER])),
        _former,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0006_drop_point"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward),
    ]
