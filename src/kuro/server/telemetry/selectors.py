"""Reads of the telemetry app: a trial's output as one text (the cut marked), filtered by a
search, and its system samples as series."""

from __future__ import annotations

from typing import Any

from kuro.server.telemetry.models import OutputChunk, OutputLog, SystemSample
from kuro.server.tracking.selectors import trial_check_exists

__all__ = ["CUT_MARKER", "output_text", "system_series", "trial_output"]

CUT_MARKER = (
    "\n[kuro: {cut:,} characters of output were cut here; "
    "the first {head:,} and the last {tail:,} are kept]\n"
)
"""Put between the head and the tail of an output that outgrew its allowance."""
_SEARCH_LINES_MAX = 10_000


def output_text(*, trial_id: int) -> str:
    """The trial's whole kept output: its head, the cut marker when characters were cut, its
    tail. Empty when it sent none."""
    trial_check_exists(trial_id)
    log = OutputLog.objects.filter(trial_id=trial_id).first()
    if log is None:
        return ""
    chunks = OutputChunk.objects.filter(trial_id=trial_id).order_by("id")
    head = "".join(c.text for c in chunks.filter(head=True).only("text"))
    tail = "".join(c.text for c in chunks.filter(head=False).only("text"))
    if not log.cut_chars:
        return head + tail
    marker = CUT_MARKER.format(cut=log.cut_chars, head=log.head_chars, tail=log.tail_chars)
    return head + marker + tail


def trial_output(*, trial_id: int, search: str = "") -> dict[str, Any]:
    """The trial's kept output (``output_text``) with its counts; with ``search``, only the
    lines holding it (case-insensitive), at most 10,000 of them."""
    text = output_text(trial_id=trial_id)
    log = OutputLog.objects.filter(trial_id=trial_id).first()
    counts = {
        "chars": (log.head_chars + log.tail_chars) if log else 0,
        "cut_chars": log.cut_chars if log else 0,
    }
    if not search:
        return {**counts, "text": text, "matches": None}
    needle = search.casefold()
    lines = [line for line in text.splitlines() if needle in line.casefold()]
    return {
        **counts,
        "text": "\n".join(lines[:_SEARCH_LINES_MAX]),
        "matches": len(lines),
    }


def system_series(*, trial_id: int, max_points: int = 2_000) -> dict[str, Any]:
    """The trial's system samples as ``{"times": [...], "values": {name: [...]}}``, oldest
    first, a value None where a sample lacks it; thinned evenly to ``max_points`` samples."""
    trial_check_exists(trial_id)
    rows = list(
        SystemSample.objects.filter(trial_id=trial_id)
        .order_by("time")
        .values_list("time", "values")
    )
    if len(rows) > max_points:
        stride = -(-len(rows) // max_points)
        kept = rows[::stride]
        if kept[-1] is not rows[-1]:
            kept.append(rows[-1])  # the latest sample is always shown
        rows = kept
    names = sorted({name for _, values in rows for name in values})
    return {
        "times": [t for t, _ in rows],
        "values": {name: [values.get(name) for _, values in rows] for name in names},
    }
