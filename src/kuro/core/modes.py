"""Metric modes: which end of a metric is best, how a name implies it, and the best value.

>>> infer_mode("val_acc"), infer_mode("train_loss"), infer_mode("lr")
('max', 'min', None)
>>> best_of([0.3, float("nan"), 0.1], "min")
0.1
>>> best_of([float("nan")], "max")
nan
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from kuro.core.errors import InvalidInput, ModeConflict, ModeRequired

__all__ = [
    "MODES",
    "Mode",
    "best_of",
    "check_mode",
    "check_same_mode",
    "infer_mode",
    "is_better",
    "resolve_mode",
]

Mode = Literal["max", "min"]
MODES: tuple[Mode, ...] = ("max", "min")


def infer_mode(name: str) -> Mode | None:
    """The mode a metric name implies: ``acc`` is ``max``, ``loss`` is ``min``, else None."""
    lowered = name.lower()
    if "acc" in lowered:
        return "max"
    if "loss" in lowered:
        return "min"
    return None


def check_mode(mode: object, field: str = "mode") -> Mode | None:
    """``mode`` when it is None, 'max' or 'min'; ``InvalidInput`` naming ``field`` else."""
    if mode is None:
        return None
    if mode == "max":
        return "max"
    if mode == "min":
        return "min"
    raise InvalidInput(f"mode is 'max' or 'min', not {mode!r:.60}", field=field)


def resolve_mode(name: str, mode: Mode | None, *, group: str, field: str = "mode") -> Mode:
    """The mode of a new metric: ``mode`` when given, else the one its name implies, else
    ``ModeRequired`` (worded the same by the client and the server)."""
    resolved = mode or infer_mode(name)
    if resolved is None:
        raise ModeRequired(
            f"metric {name!r} is new in group {group!r} and its mode cannot be inferred from "
            "its name: give mode='max' or mode='min'",
            field=field,
        )
    return resolved


def check_same_mode(
    name: str, known: Mode, mode: Mode | None, *, group: str, field: str = "mode"
) -> None:
    """``ModeConflict`` when ``mode`` is given and is not the ``known`` mode of the metric."""
    if mode is not None and mode != known:
        raise ModeConflict(
            f"metric {name!r} of group {group!r} has mode {known!r}; it was asked for with "
            f"mode {mode!r}",
            detail={"field": field, "metric": name, "mode": known, "requested": mode},
        )


def is_better(a: float, b: float, mode: Mode) -> bool:
    """Whether ``a`` beats ``b`` under ``mode``; NaN never beats anything, anything beats NaN."""
    if a != a:
        return False
    if b != b:
        return True
    return a > b if mode == "max" else a < b


def best_of(values: Iterable[float], mode: Mode) -> float:
    """The best value under ``mode``, NaN skipped; NaN when there is none."""
    best = math.nan
    for v in values:
        if is_better(v, best, mode):
            best = v
    return best
