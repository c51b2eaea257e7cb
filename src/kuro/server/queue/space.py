"""Search spaces of sweeps: checked on creation, as Optuna distributions, and as grids.

A space maps a parameter name to ``{"type": "float"|"int", "low", "high", "log", "step"}``
or ``{"type": "categorical", "choices": [...]}``.

>>> grid_size({"a": {"type": "categorical", "choices": [1, 2]},
...            "b": {"type": "int", "low": 0, "high": 4, "step": 2}})
6
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kuro.core.errors import InvalidInput

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

__all__ = [
    "CHOICES_MAX",
    "PARAMS_MAX",
    "Space",
    "distributions_of",
    "grid_size",
    "grid_values",
    "validate_space",
]

Space = dict[str, dict[str, Any]]

PARAMS_MAX = 64
CHOICES_MAX = 1000


def validate_space(space: Any) -> Space:
    """The search space, checked: every parameter a float/int range or categorical choices."""
    if not isinstance(space, dict) or not space:
        raise InvalidInput("space must map parameter names to ranges or choices", field="space")
    if len(space) > PARAMS_MAX:
        raise InvalidInput(f"space has at most {PARAMS_MAX} parameters", field="space")
    for name, spec in space.items():
        _validate_param(f"space.{name}", spec)
    try:
        distributions_of(space)
    except ValueError as e:
        raise InvalidInput(f"space: {e}", field="space") from None
    return space


def _validate_param(field: str, spec: Any) -> None:
    if not isinstance(spec, dict) or spec.get("type") not in ("float", "int", "categorical"):
        raise InvalidInput(f'{field} needs "type": "float", "int" or "categorical"', field=field)
    if spec["type"] == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not 1 <= len(choices) <= CHOICES_MAX:
            raise InvalidInput(
                f"{field}.choices must be a list of 1 to {CHOICES_MAX} values", field=field
            )
        for choice in choices:
            if not (choice is None or isinstance(choice, (bool, int, float, str))):
                raise InvalidInput(
                    f"{field}.choices holds numbers, strings, booleans or null", field=field
                )
        return
    low, high = spec.get("low"), spec.get("high")
    numeric = (int,) if spec["type"] == "int" else (int, float)
    if not (isinstance(low, numeric) and isinstance(high, numeric)) or isinstance(low, bool):
        raise InvalidInput(f"{field} needs numeric low and high", field=field)
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise InvalidInput(f"{field}: low must be finite and at most high", field=field)
    if spec.get("log") and low <= 0:
        raise InvalidInput(f"{field}: a log range needs low > 0", field=field)
    step = spec.get("step")
    if spec.get("log") and step not in (None, 1):
        raise InvalidInput(f"{field}: a log range takes no step", field=field)
    if step is not None and (
        isinstance(step, bool)
        or not isinstance(step, numeric)
        or not math.isfinite(step)
        or step <= 0
    ):
        raise InvalidInput(f"{field}: step must be a positive number", field=field)


def distributions_of(space: Space) -> dict[str, BaseDistribution]:
    """Optuna's distribution of each parameter of a (valid) space."""
    # Optuna is imported where it is used: importing the server (or a page that never
    # samples) should not pay for it.
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, BaseDistribution] = {}
    for name, spec in space.items():
        if spec["type"] == "categorical":
            out[name] = CategoricalDistribution(spec["choices"])
        elif spec["type"] == "int":
            out[name] = IntDistribution(
                spec["low"], spec["high"], log=bool(spec.get("log")), step=spec.get("step") or 1
            )
        else:
            out[name] = FloatDistribution(
                spec["low"], spec["high"], log=bool(spec.get("log")), step=spec.get("step")
            )
    return out


def _grid_count(name: str, spec: dict[str, Any]) -> int:
    """How many grid values a parameter has, counted without listing them."""
    if spec["type"] == "categorical":
        return len(spec["choices"])
    if spec["type"] == "int":
        return int((spec["high"] - spec["low"]) // (spec.get("step") or 1) + 1)
    if spec.get("step"):
        return round((spec["high"] - spec["low"]) / spec["step"]) + 1
    raise InvalidInput(
        f"the grid sampler needs a step for float parameter {name!r}", field=f"space.{name}"
    )


def grid_size(space: Space) -> int:
    """How many points the grid of a space has."""
    return math.prod(_grid_count(name, spec) for name, spec in space.items())


def grid_values(space: Space) -> dict[str, list[Any]]:
    """The grid of a space (at most ``GRID_MAX`` points, checked at creation): choices, int
    ranges by step, float ranges that have a step."""
    out: dict[str, list[Any]] = {}
    for name, spec in space.items():
        n = _grid_count(name, spec)
        if spec["type"] == "categorical":
            out[name] = list(spec["choices"])
        elif spec["type"] == "int":
            out[name] = [spec["low"] + i * (spec.get("step") or 1) for i in range(n)]
        else:
            out[name] = [spec["low"] + i * spec["step"] for i in range(n)]
    return out
