"""How the dashboard writes moments, durations and numbers for people.

>>> moment("2026-11-28T07:58:55.554942+00:00")
'2026-11-28 07:58:55 UTC'
>>> duration_text(3725.0), duration_text(4.26), duration_text(None)
('1h 02m 05s', '4.3 s', '—')
>>> count_text(1, "trial"), count_text(3, "trial")
('1 trial', '3 trials')
>>> number(0.123456789), number(float("nan")), number(float("-inf")), number(3)
('0.1235', '—', '-Infinity', 3)
>>> value_text(0.123456), value_text(float("-inf")), value_text(float("nan")), value_text(None)
('0.1235', '-inf', '—', '—')
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from kuro.core.values import WireValue, decode_value, encode_value

__all__ = [
    "GRID_P_VALUE",
    "GRID_VALUE",
    "cell",
    "count_text",
    "duration_text",
    "moment",
    "number",
    "value_text",
]

DASH = "—"


def moment(iso: str | None) -> str:
    """An ISO-8601 moment in UTC to the second, or a dash."""
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def number(value: Any) -> Any:
    """Floats to four significant digits, as the grids show them: a dash for NaN (no
    value), the infinities spelled as the wire writes them; anything else as it is."""
    if not isinstance(value, float):
        return value
    return encode_value(value) if math.isinf(value) else value_text(value)


def count_text(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def value_text(value: float | str | None, spec: str = ".4g") -> str:
    """A metric value for people: a dash for none or NaN, ``inf``/``-inf`` (a diverged
    value is a value), else formatted by ``spec`` (four significant digits)."""
    number = math.nan if value is None else decode_value(value)
    return DASH if math.isnan(number) else format(number, spec)


def cell(value: float | None) -> float | WireValue | None:
    """A value for a grid cell: JSON has no NaN (no value: null) nor infinities (their
    wire strings, which ``GRID_VALUE`` shows)."""
    if value is None or math.isnan(value):
        return None
    return value if math.isfinite(value) else encode_value(value)


GRID_VALUE = {"function": "kuroNumber(params.value)"}
"""AG Grid's ``valueFormatter`` of a ``cell`` (``assets/dashAgGridFunctions.js``): four
significant digits as ``format(x, ".4g")`` writes them, whole numbers as they are, a dash
for no value, ``Infinity``/``-Infinity`` for the infinities."""

GRID_P_VALUE = {"function": "kuroPValue(params.value)"}
"""``GRID_VALUE`` for p-values: two significant digits (``0.019``, ``4.1e-06``)."""
