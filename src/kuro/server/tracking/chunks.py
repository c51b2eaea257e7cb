"""The encoding of a chunk of a metric series: up to ``CHUNK_POINTS`` consecutive points of
one (trial, metric), stored in one ``Chunk`` row (see ``docs/storage.md``).

Bit-exact, NaN payloads and infinities included, and small: each column is turned into
64-bit words that change little from point to point (steps and times as differences of
their bits, values XORed with the previous value, as Facebook's Gorilla does), the words'
bytes are shuffled so that byte 0 of every word comes first, then byte 1..., and zlib
squeezes the long runs of equal high bytes. A packed chunk also carries its first and
last points' values and times and per-block statistics (``BLOCK_POINTS`` points a block:
minimum and maximum with their steps and times), not compressed, so that a downsampled
read of a long series takes six words per block, many chunks' in one numpy call, and
never decodes the points themselves. A short chunk (``PACKED_POINTS``) is stored
unpacked.

numpy only, no Django: services (writes), selectors (reads) and migrations share it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "BLOCK_POINTS",
    "CHUNK_POINTS",
    "PACKED_POINTS",
    "BlockTable",
    "Blocks",
    "Points",
    "block_stats",
    "chunk_columns",
    "decode_blocks",
    "decode_many_blocks",
    "decode_many_points",
    "decode_points",
    "encode_blocks",
    "encode_points",
    "merge",
    "points_of",
    "split",
]

CHUNK_POINTS = 1024
# A chunk of at least this many points is compressed, with block statistics; a shorter
# one (a series' last chunk while small appends fill it) is stored as it is.
PACKED_POINTS = CHUNK_POINTS // 2
BLOCK_POINTS = 16
_VERSION = 1  # shuffled and compressed: full chunks
_RAW = 0  # the three columns as they are: a series' last chunk while it fills
_LEVEL = 1  # zlib: as small as level 6 on these shuffled words, at a fraction of its time
_BLOCKS = 2  # block statistics: the chunk's ends and a record per block, not compressed
_END_WORDS = 4  # first value, first time, last value, last time
_RECORD_FIELDS = ("min_steps", "max_steps", "min_values", "max_values", "min_times", "max_times")
_RECORD_WORDS = len(_RECORD_FIELDS)

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Points:
    """Points of one series sorted by step (unique): steps, values and times."""

    steps: Int
    values: Float
    times: Float

    def __len__(self) -> int:
        return len(self.steps)

    def slice(self, start: int, stop: int) -> Points:
        return Points(self.steps[start:stop], self.values[start:stop], self.times[start:stop])


@dataclass(frozen=True, slots=True)
class Blocks:
    """Per-block statistics of consecutive points: counts, and each block's minimum and
    maximum points. A block whose values are all NaN has its first point as minimum and
    maximum (value NaN)."""

    counts: Int
    min_steps: Int
    min_values: Float
    min_times: Float
    max_steps: Int
    max_values: Float
    max_times: Float

    def __len__(self) -> int:
        return len(self.counts)


def _shuffle(words: npt.NDArray[np.uint64]) -> bytes:
    """Byte 0 (the least significant) of every word, then byte 1...: the planes."""
    return words.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8).T.tobytes()


def _delta(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    out = words.copy()
    out[1:] -= words[:-1]  # modulo 2**64: exact whatever the bits
    return out


def _xor(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    out = words.copy()
    out[1:] ^= words[:-1]
    return out


def encode_points(points: Points, *, compress: bool = True) -> bytes:
    """The payload of a chunk: a version byte, then the zlib of the shuffled columns; or,
    not compressed (a chunk that will be rewritten soon), the columns as they are."""
    if not compress:
        return bytes([_RAW]) + b"".join(
            a.astype(t).tobytes()
            for a, t in (
                (points.steps, np.int64),
                (points.values, np.float64),
                (points.times, np.float64),
            )
        )
    steps = _delta(points.steps.astype(np.int64).view(np.uint64))
    values = _xor(points.values.astype(np.float64).view(np.uint64))
    times = _delta(points.times.astype(np.float64).view(np.uint64))
    body = _shuffle(steps) + _shuffle(values) + _shuffle(times)
    return bytes([_VERSION]) + zlib.compress(body, _LEVEL)


def decode_points(payload: bytes) -> Points:
    """The points of a payload made by ``encode_points``, bit for bit."""
    return decode_many_points([payload])[0]


def decode_many_points(payloads: list[bytes]) -> list[Points]:
    """``decode_points`` of each payload; chunks of one size are decoded together, so the
    cost is one zlib call per chunk and a few numpy calls per size."""
    out: list[Points | None] = [None] * len(payloads)
    packed = []
    for i, payload in enumerate(payloads):
        if payload[0] == _RAW:
            n = (len(payload) - 1) // 24
            out[i] = Points(
                np.frombuffer(payload, np.int64, n, 1),
                np.frombuffer(payload, np.float64, n, 1 + 8 * n),
                np.frombuffer(payload, np.float64, n, 1 + 16 * n),
            )
        else:
            packed.append(i)
    for indices, words in _words([payloads[i] for i in packed], 3).values():
        indices = [packed[i] for i in indices]
        steps = np.cumsum(words[:, 0], axis=1, dtype=np.uint64).view(np.int64)
        values = np.bitwise_xor.accumulate(words[:, 1], axis=1).view(np.float64)
        times = np.cumsum(words[:, 2], axis=1, dtype=np.uint64).view(np.float64)
        for row, i in enumerate(indices):
            out[i] = Points(steps[row], values[row], times[row])
    return out  # type: ignore[return-value]


def _words(payloads: list[bytes], k: int) -> dict[int, tuple[list[int], npt.NDArray[np.uint64]]]:
    """n -> (indices of the payloads of ``k`` columns of n words, their (m, k, n) words)."""
    raw_by_n: dict[int, tuple[list[int], list[bytes]]] = {}
    for i, payload in enumerate(payloads):
        if payload[0] != _VERSION:
            raise ValueError(f"unknown chunk encoding {payload[0]}")
        raw = zlib.decompress(payload[1:])
        indices, raws = raw_by_n.setdefault(len(raw) // (8 * k), ([], []))
        indices.append(i)
        raws.append(raw)
    out = {}
    for n, (indices, raws) in raw_by_n.items():
        planes = np.frombuffer(b"".join(raws), dtype=np.uint8).reshape(len(raws), k, 8, n)
        # Byte j of every word is plane j: eight shifts of whole planes, much faster than a
        # byte-wise transpose.
        words = planes[:, :, 0, :].astype(np.uint64)
        for j in range(1, 8):
            words |= planes[:, :, j, :].astype(np.uint64) << np.uint64(8 * j)
        out[n] = (indices, words)
    return out


def block_stats(points: Points, size: int = BLOCK_POINTS) -> Blocks:
    """Statistics of consecutive blocks of ``size`` points (the last one may be shorter);
    NaN is never an extreme, infinities are."""
    n = len(points)
    n_blocks = -(-n // size)
    pad = n_blocks * size - n
    values = np.concatenate([points.values, np.full(pad, np.nan)]).reshape(n_blocks, size)
    nan = np.isnan(values)
    low = np.where(nan, np.inf, values).argmin(axis=1)
    high = np.where(nan, -np.inf, values).argmax(axis=1)
    rows = np.arange(n_blocks)
    has_value = ~nan.all(axis=1)
    # Where the extreme is an infinity, NaN (mapped to it) may have come first: take the
    # first real infinity instead.
    fix = has_value & nan[rows, low]
    if fix.any():
        low[fix] = (values[fix] == np.inf).argmax(axis=1)
    fix = has_value & nan[rows, high]
    if fix.any():
        high[fix] = (values[fix] == -np.inf).argmax(axis=1)
    starts = rows * size
    low = np.where(has_value, low, 0) + starts
    high = np.where(has_value, high, 0) + starts
    counts = np.full(n_blocks, size, dtype=np.int64)
    counts[-1] = size - pad
    return Blocks(
        counts=counts,
        min_steps=points.steps[low],
        min_values=points.values[low],
        min_times=points.times[low],
        max_steps=points.steps[high],
        max_values=points.values[high],
        max_times=points.times[high],
    )


def encode_blocks(points: Points, size: int = BLOCK_POINTS) -> bytes:
    """The ``blocks`` of a packed chunk: a version byte, then 64-bit little-endian words,
    not compressed, so that a read decodes the blocks of many chunks in one numpy call.

    First the chunk's ends, bit for bit: its first value, first time, last value and last
    time (float columns would not keep them exactly: SQLite stores -0.0 as 0, and NULL for
    NaN drops its payload). Then one record per block of ``size`` points (see
    ``block_stats``): its minimum's step, its maximum's step, the minimum, the maximum, the
    minimum's time and the maximum's time. 3 bytes a point for blocks of 16."""
    stats = block_stats(points, size)
    values = points.values.astype(np.float64, copy=False).view(np.uint64)
    times = points.times.astype(np.float64, copy=False).view(np.uint64)
    ends = np.array([values[0], times[0], values[-1], times[-1]], dtype=np.uint64)
    records = np.empty((len(stats), _RECORD_WORDS), dtype=np.uint64)
    for column, field in enumerate(_RECORD_FIELDS):
        records[:, column] = getattr(stats, field).view(np.uint64)
    return bytes([_BLOCKS]) + ends.astype("<u8").tobytes() + records.astype("<u8").tobytes()


def decode_blocks(payload: bytes, count: int, size: int = BLOCK_POINTS) -> Blocks:
    """The block statistics of a chunk of ``count`` points in blocks of ``size``."""
    return decode_many_blocks([payload], [count], size).blocks


@dataclass(frozen=True, slots=True)
class BlockTable:
    """The ``blocks`` of several chunks decoded together: every block of every chunk, in
    the chunks' order (``chunks``: the index of each block's chunk), and each chunk's
    first and last values and times."""

    blocks: Blocks
    chunks: Int
    first_values: Float
    first_times: Float
    last_values: Float
    last_times: Float


def decode_many_blocks(
    payloads: Sequence[bytes], counts: Sequence[int] | Int, size: int = BLOCK_POINTS
) -> BlockTable:
    """The block statistics of each payload (its chunk's count in ``counts``), all in a
    few numpy calls whatever the number of chunks."""
    if any(p[0] != _BLOCKS for p in payloads):
        raise ValueError("unknown block statistics encoding")
    head = 1 + 8 * _END_WORDS
    n_blocks = np.array([(len(p) - head) // 8 for p in payloads], dtype=np.int64)
    n_blocks //= _RECORD_WORDS
    counts = np.asarray(counts, dtype=np.int64)
    if not np.array_equal(n_blocks, -(-counts // size)):
        raise ValueError("block statistics do not match the chunks' counts")
    # The ends and the records joined apart (no mask to pick the records out of one
    # join), then one field after the other, each contiguous: the reads that follow are
    # faster so.
    ends = np.frombuffer(b"".join([memoryview(p)[1:head] for p in payloads]), dtype="<u8")
    ends = ends.astype(np.uint64, copy=False).reshape(-1, _END_WORDS).view(np.float64)
    data = np.frombuffer(b"".join([memoryview(p)[head:] for p in payloads]), dtype="<u8")
    records = np.ascontiguousarray(data.astype(np.uint64, copy=False).reshape(-1, _RECORD_WORDS).T)
    chunks = np.repeat(np.arange(len(payloads)), n_blocks)
    block_counts = np.full(records.shape[1], size, dtype=np.int64)
    last = np.cumsum(n_blocks) - 1
    block_counts[last[n_blocks > 0]] = (counts - size * (n_blocks - 1))[n_blocks > 0]
    columns = {
        field: records[column].view(np.int64 if field.endswith("steps") else np.float64)
        for column, field in enumerate(_RECORD_FIELDS)
    }
    return BlockTable(
        blocks=Blocks(counts=block_counts, **columns),
        chunks=chunks,
        first_values=ends[:, 0],
        first_times=ends[:, 1],
        last_values=ends[:, 2],
        last_times=ends[:, 3],
    )


def merge(old: list[Points], new: Points) -> Points:
    """The union of ``old`` chunks' points and ``new`` points (in any order, a step maybe
    repeated), sorted by step; for a step given more than once the last of ``new`` wins (a
    resent step replaces its value)."""
    steps = np.concatenate([*(p.steps for p in old), new.steps])
    values = np.concatenate([*(p.values for p in old), new.values])
    times = np.concatenate([*(p.times for p in old), new.times])
    # Stable sort, new points last among equal steps: keep the last of each run of a step.
    order = np.argsort(steps, kind="stable")
    steps = steps[order]
    keep = np.ones(len(steps), dtype=bool)
    keep[:-1] = steps[1:] != steps[:-1]
    order = order[keep]
    return Points(steps[keep], values[order], times[order])


def _null(value: float) -> float | None:
    """A column's value: NaN is NULL (one rule for SQLite, which makes it so, and
    PostgreSQL)."""
    return None if math.isnan(value) else float(value)


def _extremes(values: Float) -> tuple[int, int] | None:
    """Indices of the first minimum and first maximum, NaN skipped; None if all NaN."""
    low, high = int(values.argmin()), int(values.argmax())
    if values[low] == values[low] and values[high] == values[high]:
        return low, high  # no NaN picked (numpy picks the first NaN when there is one)
    nan = np.isnan(values)
    if nan.all():
        return None
    real = np.flatnonzero(~nan)
    return int(real[values[real].argmin()]), int(real[values[real].argmax()])


def chunk_columns(points: Points) -> dict[str, Any]:
    """The columns of the ``Chunk`` row holding ``points`` (sorted, unique steps, at least
    one), but its trial and metric. A chunk of ``PACKED_POINTS`` or more is compressed,
    with its block statistics; a shorter one (a series' last chunk, which small appends
    rewrite) is stored as it is, without blocks, so that appending to it costs little."""
    extremes = _extremes(points.values)
    low, high = extremes or (0, 0)
    full = len(points) >= PACKED_POINTS
    return {
        "first_step": int(points.steps[0]),
        "last_step": int(points.steps[-1]),
        "count": len(points),
        "first_time": float(points.times[0]),
        "min_step": int(points.steps[low]),
        "min_value": None if extremes is None else float(points.values[low]),
        "min_time": float(points.times[low]),
        "max_step": int(points.steps[high]),
        "max_value": None if extremes is None else float(points.values[high]),
        "max_time": float(points.times[high]),
        "last_value": _null(points.values[-1]),
        "blocks": encode_blocks(points) if full else b"",
        "payload": encode_points(points, compress=full),
    }


def points_of(steps: object, values: object, times: object) -> Points:
    """Points from sequences of steps, values and times (any order, a step maybe
    repeated: ``merge`` sorts them)."""
    return Points(
        np.asarray(steps, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        np.asarray(times, dtype=np.float64),
    )


def split(points: Points, size: int = CHUNK_POINTS) -> list[Points]:
    """``points`` cut into chunks of ``size`` (the last one may be shorter)."""
    return [points.slice(i, i + size) for i in range(0, len(points), size)]
