"""What the client and the server agree on: metric values on the wire, metric modes.

JSON has no NaN or infinities, but a diverging loss is a real value. On the wire a metric
value is a JSON number, or one of the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
The server also accepts the bare tokens ``NaN``/``Infinity`` that Python's ``json`` writes.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MODES",
    "decode_value",
    "encode_value",
    "infer_mode",
]

MODES = ("max", "min")

_NON_FINITE_TO_WIRE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
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


def encode_value(value: float) -> float | str:
    """A float as the wire carries it: finite numbers as they are, others as strings."""
    if math.isfinite(value):
        return value
    return _NON_FINITE_TO_WIRE[repr(value)]


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


def infer_mode(name: str) -> str | None:
    """The mode a metric name implies: ``acc`` is ``max``, ``loss`` is ``min``, else None."""
    lowered = name.lower()
    if "acc" in lowered:
        return "max"
    if "loss" in lowered:
        return "min"
    return None
