"""The encoding of a chunk of a metric series: up to ``CHUNK_POINTS`` consecutive points of
one (trial, metric), stored in one ``Chunk`` row (see ``docs/storage.md``).

Bit-exact, NaN payloads and infinities included, and small: each column is turned into
64-bit words that change little from point to point (steps and times as differences of
their bits, values XORed with the previous value, as Facebook's Gorilla does), the words'
bytes are shuffled so that byte 0 of every word comes first, then byte 1..., and zlib
squeezes the long runs of equal high bytes. A packed chunk also carries per-block
statistics (``BLOCK_POINTS`` points a block: minimum and maximum with their steps and
times), so that a downsampled read of a long series decodes six numbers per block and
never the points themselves. A short chunk (``PACKED_POINTS``) is stored unpacked.

numpy only, no Django: services (writes), selectors (reads) and migrations share it.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "BLOCK_POINTS",
    "CHUNK_POINTS",
    "PACKED_POINTS",
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


def _words(
    payloads: list[bytes], k: int, *, shuffled: bool = True
) -> dict[int, tuple[list[int], npt.NDArray[np.uint64]]]:
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
        if not shuffled:
            data = np.frombuffer(b"".join(raws), dtype="<u8").astype(np.uint64, copy=False)
            out[n] = (indices, data.reshape(len(raws), k, n))
            continue
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


def encode_blocks(blocks: Blocks) -> bytes:
    """Block statistics as bytes (their counts follow from the chunk's): steps and times
    as differences, values XORed, as the points; not shuffled: 0.3 bytes a point more,
    but read without a byte transpose, and reads of long series decode many blocks."""
    words = [_delta(blocks.min_steps.view(np.uint64)), _delta(blocks.max_steps.view(np.uint64))]
    words += [_delta(blocks.min_times.view(np.uint64)), _delta(blocks.max_times.view(np.uint64))]
    words += [_xor(blocks.min_values.view(np.uint64)), _xor(blocks.max_values.view(np.uint64))]
    return bytes([_VERSION]) + zlib.compress(b"".join(w.tobytes() for w in words), _LEVEL)


def decode_blocks(payload: bytes, count: int, size: int = BLOCK_POINTS) -> Blocks:
    """The statistics of a chunk of ``count`` points in blocks of ``size``."""
    return decode_many_blocks([payload], [count], size)[0]


def decode_many_blocks(
    payloads: list[bytes], counts: list[int], size: int = BLOCK_POINTS
) -> list[Blocks]:
    """``decode_blocks`` of each payload (its chunk's count in ``counts``), those of one
    size together."""
    out: list[Blocks | None] = [None] * len(payloads)
    for n, (indices, words) in _words(payloads, 6, shuffled=False).items():
        steps = np.cumsum(words[:, 0:2], axis=2, dtype=np.uint64).view(np.int64)
        times = np.cumsum(words[:, 2:4], axis=2, dtype=np.uint64).view(np.float64)
        values = np.bitwise_xor.accumulate(words[:, 4:6], axis=2).view(np.float64)
        for row, i in enumerate(indices):
            block_counts = np.full(n, size, dtype=np.int64)
            block_counts[-1] = counts[i] - size * (n - 1)
            out[i] = Blocks(
                counts=block_counts,
                min_steps=steps[row, 0],
                max_steps=steps[row, 1],
                min_times=times[row, 0],
                max_times=times[row, 1],
                min_values=values[row, 0],
                max_values=values[row, 1],
            )
    return out  # type: ignore[return-value]


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
        "blocks": encode_blocks(block_stats(points)) if full else b"",
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
