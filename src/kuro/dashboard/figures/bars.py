"""Bar chart of one metric's aggregates: each experiment's mean over its trials, with a
standard-deviation error bar, best first."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.dashboard.figures.theme import base_layout

__all__ = ["MAX_BARS", "bar_figure", "rank_best_first", "verdict"]

MAX_BARS = 25


def rank_best_first(rows: Sequence[Mapping[str, Any]], mode: str) -> list[Mapping[str, Any]]:
    """Rows with a mean, best mean first (``mode`` max: largest); rows without one last."""
    with_mean = [r for r in rows if r.get("mean") is not None and math.isfinite(r["mean"])]
    without = [r for r in rows if r not in with_mean]
    with_mean.sort(key=lambda r: r["mean"], reverse=mode == "max")
    return with_mean + without


def verdict(rows: Sequence[Mapping[str, Any]], mode: str) -> dict[str, Any] | None:
    """The winner of one metric's aggregate rows, its margin over the runner-up (positive
    means better) and its noise: ``{"winner", "runner_up", "margin"}``, or None.

    >>> result = verdict([{"experiment_id": 1, "mean": 0.8, "std": 0.01},
    ...                   {"experiment_id": 2, "mean": 0.9, "std": 0.02}], "max")
    >>> result["winner"]["experiment_id"], round(result["margin"], 3)
    (2, 0.1)
    """
    ranked = [r for r in rank_best_first(rows, mode) if r.get("mean") is not None]
    ranked = [r for r in ranked if math.isfinite(r["mean"])]
    if not ranked:
        return None
    winner = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    margin = None
    if runner_up is not None:
        margin = winner["mean"] - runner_up["mean"]
        margin = margin if mode == "max" else -margin
    return {"winner": winner, "runner_up": runner_up, "margin": margin}


def bar_figure(
    *,
    metric: str,
    mode: str,
    rows: Sequence[Mapping[str, Any]],
    labels: Mapping[int, str],
    colors: Mapping[int, str],
    max_bars: int = MAX_BARS,
) -> dict[str, Any]:
    """Horizontal bars (long labels stay readable), the best at the top.

    ``rows`` are ``aggregation.experiment_aggregates`` rows of this metric; ``labels`` and
    ``colors`` are keyed by experiment id.
    """
    ranked = [r for r in rank_best_first(rows, mode) if r.get("mean") is not None][:max_bars]
    y = [labels.get(r["experiment_id"], str(r["experiment_id"])) for r in ranked]
    means = [r["mean"] for r in ranked]
    stds = [r["std"] or 0.0 for r in ranked]
    text = [
        f"{m:.4g} ± {s:.2g}" if r["std"] is not None else f"{m:.4g}"
        for m, s, r in zip(means, stds, ranked, strict=True)
    ]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": means,
        "y": y,
        "error_x": {"type": "data", "array": stds, "visible": True, "color": "#3b4656"},
        "marker": {"color": [colors.get(r["experiment_id"], "#4e79a7") for r in ranked]},
        "text": text,
        "textposition": "inside",
        "insidetextanchor": "start",
        "customdata": [[r["n"], r["n_trials"], r["best"]] for r in ranked],
        "hovertemplate": (
            "%{y}<br>mean %{x:.4g} ± %{error_x.array:.3g}<br>best %{customdata[2]:.4g}"
            "<br>%{customdata[0]} of %{customdata[1]} trials<extra></extra>"
        ),
    }
    direction = "higher is better" if mode == "max" else "lower is better"
    lo = min((m - s for m, s in zip(means, stds, strict=True)), default=0.0)
    layout = base_layout(
        title={"text": f"{metric} <span style='color:#7a8699'>({direction})</span>", "x": 0.01},
        height=max(180, 70 + 28 * len(ranked)),
        margin={"l": 8, "r": 16, "t": 40, "b": 36},
        yaxis={"autorange": "reversed", "ticks": "", "automargin": True},
        xaxis={"rangemode": "tozero" if lo >= 0 else "normal"},
        bargap=0.25,
        showlegend=False,
    )
    return {"data": [trace], "layout": layout}
