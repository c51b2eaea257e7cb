"""Metric values on the wire: the one NaN/Infinity dialect of the client, the server and
the exports.

JSON has no NaN or infinities, but a diverging loss is a real value. On the wire a metric
value is a JSON number, or one of the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``;
in Python (selectors, the dashboard, sweeps, ``kuro.Api`` answers) it is always a ``float``,
NaN included. Encoding happens once, at the edge (the API's answers, the client's request
bodies); decoding once, where a wire value comes in. The server also accepts the bare
tokens ``NaN``/``Infinity`` that Python's ``json`` writes, for older clients and spools.

>>> encode_values([1.0, float("nan"), float("-inf")])
[1.0, 'NaN', '-Infinity']
>>> decode_values([1, "NaN", "Infinity"])
[1.0, nan, inf]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

__all__ = [
    "NON_FINITE",
    "NonFinite",
    "WireValue",
    "decode_value",
    "decode_values",
    "encode_value",
    "encode_values",
]

NonFinite = Literal["NaN", "Infinity", "-Infinity"]
NON_FINITE: tuple[NonFinite, ...] = ("NaN", "Infinity", "-Infinity")
WireValue = float | NonFinite

_INF = math.inf
_WIRE_TO_FLOAT = {
    "nan": math.nan,
    "+nan": math.nan,
    "-nan": math.nan,
    "infinity": math.inf,
    "+infinity": math.inf,
    "inf": math.inf,
    "+inf": math.inf,
    "-infinity": -math.inf,
    "-inf": -math.inf,
}


def encode_value(value: float | None) -> WireValue:
    """A float as the wire carries it: finite numbers as they are, others as strings.
    ``None`` (how the database stores NaN) is ``"NaN"`` too."""
    if value is None:
        return "NaN"
    if -_INF < value < _INF:
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def encode_values(values: Iterable[float | None]) -> list[WireValue]:
    """``encode_value`` over a list; finite values cost one comparison each."""
    return [v if v is not None and -_INF < v < _INF else encode_value(v) for v in values]


def decode_value(value: Any) -> float:
    """A wire value back to a float; raises ``ValueError`` for anything else."""
    if isinstance(value, bool):
        raise ValueError("a metric value is a number, not a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return _WIRE_TO_FLOAT[value.strip().lower()]
        except KeyError:
            pass
    raise ValueError(f'a metric value is a number, "NaN", "Infinity" or "-Infinity", not {value!r}')


def decode_values(values: Iterable[Any]) -> list[float]:
    """``decode_value`` over a list; floats pass as they are."""
    return [v if v.__class__ is float else decode_value(v) for v in values]
