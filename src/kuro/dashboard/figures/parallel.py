"""Parallel coordinates of a group: each trial a line through its hyper-parameters to its
best value of one metric, to see which settings matter."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.core.labels import flatten
from kuro.dashboard.aggregation import summary_best
from kuro.dashboard.figures.theme import base_layout, plot_text

__all__ = ["parallel_figure", "parallel_lines"]


_MAX_INTEGER_TICKS = 11


def _integer_dimension(label: str, values: list[int], low: int, high: int) -> dict[str, Any]:
    """An axis of whole numbers: each one a tick when there are few, else Plotly's ticks
    written as integers (never 2.5 layers)."""
    dimension: dict[str, Any] = {"label": plot_text(label), "values": values, "tickformat": "d"}
    if high - low < _MAX_INTEGER_TICKS:
        dimension["tickvals"] = list(range(low, high + 1))
        if low == high:  # one value: room around it, as Plotly gives a float axis
            dimension["range"] = [low - 1, high + 1]
    return dimension


def _dimension(label: str, values: list[Any]) -> dict[str, Any]:
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric:
        low, high = min(values, default=0), max(values, default=0)
        if low > 0 and high / low >= 100:  # learning rates and the like: a log axis
            decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            return {
                "label": f"{plot_text(label)} (log)",
                "values": [math.log10(v) for v in values],
                "tickvals": list(decades),
                "ticktext": [f"{10.0**d:g}" for d in decades],
            }
        if values and all(isinstance(v, int) for v in values):
            return _integer_dimension(label, values, low, high)
        return {"label": plot_text(label), "values": values}
    # Categories (strings, booleans, lists, missing) on evenly spaced ticks.
    shown = [v if isinstance(v, str) else json.dumps(v) for v in values]
    categories = sorted(set(shown))
    index = {c: i for i, c in enumerate(categories)}
    return {
        "label": plot_text(label),
        "values": [index[s] for s in shown],
        "tickvals": list(range(len(categories))),
        # Parcoords writes tick text as plain text (unlike its labels): not escaped.
        "ticktext": [c if len(c) <= 18 else c[:17] + "…" for c in categories],
        "range": [-0.25, max(len(categories) - 1, 0) + 0.25],
    }


def parallel_figure(
    *,
    experiments: Sequence[Mapping[str, Any]],
    metric: str,
    mode: str,
    keys: Sequence[str],
) -> dict[str, Any] | None:
    """The figure, or None when no trial has a finite value of ``metric``."""
    rows: list[tuple[dict[str, Any], float]] = []
    for experiment in experiments:
        params = flatten(experiment.get("hyper_parameters") or {})
        for trial in experiment.get("trials", ()):
            value = summary_best(trial, metric)
            if math.isfinite(value):
                rows.append(({"identifier": experiment["identifier"], **params}, value))
    if not rows:
        return None
    columns = ["identifier", *keys] if len({r["identifier"] for r, _ in rows}) > 1 else [*keys]
    return parallel_lines(
        rows=rows, columns=columns, metric=metric, label=f"{metric} (best)", mode=mode
    )


def parallel_lines(
    *,
    rows: Sequence[tuple[Mapping[str, Any], float]],
    columns: Sequence[str],
    metric: str,
    label: str,
    mode: str,
) -> dict[str, Any]:
    """The figure of ``rows`` (each line's values by column, and its score): an axis per
    column, the score's axis (``label``) last, lines coloured by score, better brighter."""
    dimensions = [_dimension(k, [r.get(k) for r, _ in rows]) for k in columns]
    scores = [v for _, v in rows]
    # Four significant digits, also for the axis' end labels (its minimum and maximum).
    dimensions.append({"label": plot_text(label), "values": scores, "tickformat": ".4~g"})
    trace = {
        "type": "parcoords",
        "dimensions": dimensions,
        "line": {
            "color": scores,
            # The better end is the bright end of the scale. The score's axis, last, is the
            # scale's key: a colour bar beside it would repeat its tick labels.
            "colorscale": "Viridis",
            "reversescale": mode == "min",
            "showscale": False,
        },
        "labelfont": {"size": 12},
        "tickfont": {"size": 10},
    }
    # Room on the right for the last axis' label, centred on it.
    layout = base_layout(height=380, margin={"l": 60, "r": 80, "t": 56, "b": 24}, meta=metric)
    return {"data": [trace], "layout": layout}
