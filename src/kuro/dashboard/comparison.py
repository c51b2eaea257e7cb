"""Settings compared on one metric: the comparison selector's experiments, narrowed to a
selection and optionally pooled by one hyper-parameter key, each described and tested
against the leader with ``kuro.core.statistics`` (the statistics of the API and the CLI).

Input is ``selectors.metric_comparison``'s answer (values as floats). A *setting* is one
experiment, or with ``group_by="lr"`` every experiment sharing a value of ``lr``, whatever
their other keys (their trials' values pooled, as W&B's and Aim's group-by average over
the other keys). Output rows, ranked best first::

    {"key", "label", "hover" (lines of text), "experiment_ids", "values", "n", "mean", "std", "sem",
     "ci_low", "ci_high", "median", "iqm", "rank", "versus_leader": {...} | None}

>>> comparison = {"mode": "max", "experiments": [
...     {"experiment_id": 1, "identifier": "m", "hyper_parameters": {"lr": 0.1, "seed": 1},
...      "values": [0.90, 0.92]},
...     {"experiment_id": 2, "identifier": "m", "hyper_parameters": {"lr": 0.1, "seed": 2},
...      "values": [0.91]},
...     {"experiment_id": 3, "identifier": "m", "hyper_parameters": {"lr": 0.01, "seed": 3},
...      "values": [0.80, 0.82]}]}
>>> rows = settings(comparison, group_by="lr")
>>> [(r["label"], r["n"], round(r["mean"], 3)) for r in rows]
[('lr=0.1', 3, 0.91), ('lr=0.01', 2, 0.81)]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kuro.core.canonical import canonical_text
from kuro.core.comparison import DESCRIPTION_FLOATS, VERSUS_FLOATS
from kuro.core.labels import canonical_value, flatten
from kuro.core.statistics import describe_many, rank

__all__ = [
    "COMPARISON_FIELDS",
    "MISSING",
    "STATISTICS",
    "group_by_keys",
    "settings",
    "statistic_text",
]

STATISTICS = {
    "best": "Best",
    "last": "Last",
    "step": "At step",
    "summary": "Summary",
}
"""The per-trial statistic of the comparison (``selectors.metric_comparison``)."""

COMPARISON_FIELDS = frozenset({"values", *DESCRIPTION_FLOATS, *VERSUS_FLOATS})
"""The float fields of a comparison, written as wire values in the page's store."""

MISSING = "(unset)"
"""How a setting reads when its experiments lack the group-by key."""

_DESCRIBED = ("n", "mean", "std", "sem", "ci_low", "ci_high", "median", "iqm")


def statistic_text(statistic: str, step: int | None = None) -> str:
    """How the chart and table name the per-trial value.

    >>> statistic_text("best"), statistic_text("step", 500)
    ("each trial's best", 'each trial at step 500')
    """
    return {
        "best": "each trial's best",
        "last": "each trial's last value",
        "step": f"each trial at step {step}",
        "summary": "each trial's summary",
    }.get(statistic, statistic)


def group_by_keys(experiments: Sequence[Mapping[str, Any]]) -> list[str]:
    """The flattened hyper-parameter keys with at least two values among ``experiments``
    (the keys worth grouping by), sorted."""
    seen: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for e in experiments:
        for key, value in flatten(e.get("hyper_parameters") or {}).items():
            seen.setdefault(key, set()).add(canonical_value(value))
            counts[key] = counts.get(key, 0) + 1
    n = len(experiments)
    return sorted(k for k, values in seen.items() if len(values) > 1 or counts[k] < n)


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return canonical_text(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def settings(
    comparison: Mapping[str, Any],
    *,
    experiment_ids: Collection[int] | None = None,
    group_by: str | None = None,
    labels: Mapping[int, str] | None = None,
    hovers: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """The ranked settings of ``comparison`` over ``experiment_ids`` (all when empty),
    one per experiment or, with ``group_by``, one per value of that key."""
    mode = comparison["mode"]
    chosen = set(experiment_ids or ())
    experiments = [
        e for e in comparison["experiments"] if not chosen or e["experiment_id"] in chosen
    ]
    labels, hovers = labels or {}, hovers or {}
    if not group_by:
        if not chosen:  # the selector's ranking and tests stand as they are
            return [
                {
                    "key": str(e["experiment_id"]),
                    "label": labels.get(e["experiment_id"], f"#{e['experiment_id']}"),
                    "hover": [hovers.get(e["experiment_id"], labels.get(e["experiment_id"], ""))],
                    "experiment_ids": [e["experiment_id"]],
                    **{k: e[k] for k in ("values", "rank", "versus_leader", *_DESCRIBED)},
                }
                for e in experiments
            ]
        pools = [
            (
                str(e["experiment_id"]),
                labels.get(e["experiment_id"], f"#{e['experiment_id']}"),
                [hovers.get(e["experiment_id"], labels.get(e["experiment_id"], ""))],
                [e],
            )
            for e in experiments
        ]
    else:
        buckets: dict[str, tuple[Any, list[Mapping[str, Any]]]] = {}
        for e in experiments:
            params = flatten(e.get("hyper_parameters") or {})
            value: Any = params.get(group_by, MISSING)
            text = MISSING if group_by not in params else canonical_value(value)
            buckets.setdefault(text, (value, []))[1].append(e)
        pools = []
        for text, (value, members) in sorted(
            buckets.items(), key=lambda item: _sort_key(item[1][0])
        ):
            shown = MISSING if text == MISSING else _value_text(value)
            names = [hovers.get(m["experiment_id"], f"#{m['experiment_id']}") for m in members]
            hover = [f"{group_by}={shown}: {len(members)} experiments pooled", *names[:8]]
            if len(names) > 8:
                hover.append(f"… and {len(names) - 8} more")
            pools.append((f"{group_by}={text}", f"{group_by}={shown}", hover, members))
    pooled = [[v for m in members for v in m["values"]] for _, _, _, members in pools]
    rows = [
        {
            "key": key,
            "label": label,
            "hover": hover,
            "experiment_ids": [m["experiment_id"] for m in members],
            "values": values,
            **{k: getattr(description, k) for k in _DESCRIBED},
        }
        for (key, label, hover, members), values, description in zip(
            pools, pooled, describe_many(pooled), strict=True
        )
    ]
    rank(rows, mode, tie="key")
    return rows
