"""Stored values to wire values: NULL is NaN (see ``models.Point``), infinities as strings."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

__all__ = ["iso", "wire_value", "wire_values"]

_INF = math.inf


def wire_value(value: float | None) -> float | str:
    if value is None:
        return "NaN"
    if -_INF < value < _INF:
        return value
    if value != value:  # a NaN that reached PostgreSQL some other way
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def wire_values(values: Iterable[float | None]) -> list[float | str]:
    return [v if v is not None and -_INF < v < _INF else wire_value(v) for v in values]


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
