"""Printing figures in one format: value, unit, and the ratio to a same-run baseline."""

from __future__ import annotations

__all__ = ["figure", "percentile", "ratio"]


def figure(name: str, value: float, unit: str, note: str = "") -> None:
    text = f"  {name:<58} {value:>14,.3f} {unit}"
    print(text + (f"   {note}" if note else ""), flush=True)


def ratio(name: str, value: float, baseline: float, target: str = "") -> float:
    r = value / baseline if baseline else float("nan")
    text = f"  {name:<58} {r:>14.3f} x"
    print(text + (f"   (target {target})" if target else ""), flush=True)
    return r


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
