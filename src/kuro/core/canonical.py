"""Canonical form of hyper-parameters: the same setting always gives the same key."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from kuro.core.errors import InvalidInput

__all__ = ["MAX_DEPTH", "canonical_text", "hyper_parameters_key", "normalize"]

MAX_DEPTH = 16


def normalize(value: Any, *, field: str = "hyper_parameters", depth: int = 0) -> Any:
    """A JSON value with integral floats made ints (``1.0`` is ``1``); rejects what JSON lacks."""
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{field} is nested deeper than {MAX_DEPTH} levels", field=field)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{field} must be a finite number, not {value!r}", field=field)
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidInput(f"{field} keys must be strings", field=field)
            out[k] = normalize(v, field=f"{field}.{k}", depth=depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(v, field=f"{field}[{i}]", depth=depth + 1) for i, v in enumerate(value)]
    raise InvalidInput(f"{field} holds a {type(value).__name__}, not a JSON value", field=field)


def canonical_text(hyper_parameters: dict[str, Any]) -> str:
    """The canonical JSON of a hyper-parameter object: sorted keys, integral floats as ints."""
    return json.dumps(
        normalize(hyper_parameters), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def hyper_parameters_key(hyper_parameters: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a hyper-parameter object: key order does not matter."""
    return hashlib.sha256(canonical_text(hyper_parameters).encode()).hexdigest()
