"""Rows and column definitions of the dashboard's grids, from the selectors' plain data.

Grid fields are generated (``p0``, ``m0``...) because hyper-parameter and metric names may
hold dots, which AG Grid reads as paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kuro.core.labels import differing_keys, display_value, flatten
from kuro.core.statistics import describe_many
from kuro.dashboard.aggregation import summary_best
from kuro.dashboard.figures.theme import color
from kuro.dashboard.formats import GRID_P_VALUE, GRID_VALUE, cell

__all__ = [
    "aggregate_table",
    "duration",
    "experiment_colors",
    "experiment_table",
    "trial_table",
]

# The trials an experiment's mean in its row is taken over (not the lost, failed, pruned).
_MEANT = frozenset({"complete", "running"})
_NUMERIC = {
    "type": "rightAligned",
    "filter": "agNumberColumnFilter",
    "valueFormatter": GRID_VALUE,
}


def experiment_colors(experiment_ids: Iterable[int]) -> dict[int, str]:
    """Distinct colours for the experiments shown together, stable by id order."""
    return {eid: color(i) for i, eid in enumerate(sorted(experiment_ids))}


def experiment_table(
    experiments: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs): identifier, id, the differing hyper-parameters, trial counts and
    each metric's mean of its complete and running trials' best values (so it follows a
    group while it trains, and, once every trial has ended, reads as the comparison's
    mean, over complete trials: failed and pruned trials ended before their best)."""
    keys = sorted({k for ks in differing_keys(experiments).values() for k in ks})
    field = {k: f"p{i}" for i, k in enumerate(keys)}
    rows = []
    means: list[tuple[dict[str, Any], str, list[float]]] = []  # (row, field, trial bests)
    for e in experiments:
        params = flatten(e.get("hyper_parameters") or {})
        counts = e.get("status_counts") or {}
        row = {
            "key": str(e["id"]),
            "id": e["id"],
            "identifier": e["identifier"],
            "trials": len(e.get("trials", ())),
            "done": counts.get("complete", 0),
            "running": counts.get("running", 0),
            "failed": counts.get("failed", 0),
        }
        for k in keys:
            row[field[k]] = display_value(params.get(k))
        names = set(e.get("metrics") or ())
        meant = [t for t in e.get("trials", ()) if t.get("status") in _MEANT]
        for i, m in enumerate(metrics):
            if m["name"] in names:
                means.append((row, f"m{i}", [summary_best(t, m["name"]) for t in meant]))
        rows.append(row)
    # The statistics' mean of each (experiment, metric), all in one vectorised call.
    described = describe_many([values for _, _, values in means])
    for (row, name, _), description in zip(means, described, strict=True):
        row[name] = cell(description.mean)
    columns: list[dict[str, Any]] = [
        {"field": "identifier", "headerName": "Identifier", "pinned": "left", "minWidth": 140},
        {"field": "id", "headerName": "ID", "maxWidth": 90, **_NUMERIC},
    ]
    if keys:
        columns.append(
            {
                "headerName": "Hyper-parameters",
                "children": [
                    {"field": field[k], "headerName": k, "minWidth": 90, "filter": True}
                    for k in keys
                ],
            }
        )
    columns.append(
        {
            "headerName": "Trials",
            "children": [
                {"field": "trials", "headerName": "all", "minWidth": 80, **_NUMERIC},
                {"field": "done", "headerName": "done", "minWidth": 90, **_NUMERIC},
                {"field": "running", "headerName": "running", "minWidth": 105, **_NUMERIC},
                {"field": "failed", "headerName": "failed", "minWidth": 95, **_NUMERIC},
            ],
        }
    )
    if metrics:
        columns.append(
            {
                "headerName": "Mean of trial bests",
                "headerTooltip": (
                    "Each metric's mean of the trials' best values, over complete and running "
                    "trials (failed and pruned trials left out)"
                ),
                "children": [
                    {
                        "field": f"m{i}",
                        "headerName": f"{m['name']} {'↑' if m['mode'] == 'max' else '↓'}",
                        "minWidth": 110,
                        **_NUMERIC,
                    }
                    for i, m in enumerate(metrics)
                ],
            }
        )
    return rows, columns


def duration(start: str | None, end: str | None) -> float | None:
    """Seconds between two ISO-8601 moments, or None."""
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def trial_table(
    experiments: Sequence[Mapping[str, Any]],
    metrics: Sequence[Mapping[str, str]],
    labels: Mapping[int, str],
    trial_href: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs) of every trial of ``experiments``: experiment, trial (a link to
    ``trial_href`` + id), worker, status, duration and each metric's best value."""
    rows = []
    for e in experiments:
        for t in e.get("trials", ()):
            summaries = t.get("summaries") or {}
            row = {
                "key": str(t["id"]),
                "id": t["id"],
                "experiment": labels.get(e["id"], str(e["id"])),
                "trial": f"[#{t['id']} · {t['number']}]({trial_href}{t['id']})",
                "worker": t.get("worker") or "",
                "status": t["status"],
                "seconds": duration(
                    t.get("started_at"), t.get("ended_at") or t.get("heartbeat_at")
                ),
            }
            for i, m in enumerate(metrics):
                if m["name"] in summaries:
                    row[f"m{i}"] = cell(summary_best(t, m["name"]))
            rows.append(row)
    columns: list[dict[str, Any]] = [
        {"field": "experiment", "headerName": "Experiment", "minWidth": 200, "pinned": "left"},
        {
            "field": "trial",
            "headerName": "Trial (id · number)",
            "cellRenderer": "KuroLink",  # assets/dashAgGridComponentFunctions.js
            "minWidth": 130,
        },
        {"field": "worker", "headerName": "Worker", "minWidth": 110},
        {
            "field": "status",
            "headerName": "Status",
            "minWidth": 105,
            "cellClassRules": {
                "kuro-status-running": "params.value == 'running'",
                "kuro-status-complete": "params.value == 'complete'",
                "kuro-status-failed": "params.value == 'failed'",
                "kuro-status-queued": "params.value == 'queued'",
                "kuro-status-pruned": "params.value == 'pruned'",
                "kuro-status-lost": "params.value == 'lost'",
            },
        },
        {"field": "seconds", "headerName": "Seconds", "minWidth": 95, **_NUMERIC},
    ]
    columns += [
        {
            "field": f"m{i}",
            "headerName": f"{m['name']} best {'↑' if m['mode'] == 'max' else '↓'}",
            "minWidth": 120,
            **_NUMERIC,
        }
        for i, m in enumerate(metrics)
    ]
    return rows, columns


def aggregate_table(
    settings_by_metric: Sequence[tuple[Mapping[str, str], Sequence[Mapping[str, Any]]]],
    statistic: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs) of the compared settings: per metric (as given), the settings of
    ``comparison.settings`` in rank order (the leader first), with the description of
    their per-trial ``statistic`` and the test against the leader."""
    out = []
    for metric, rows in settings_by_metric:
        for r in rows:
            against = r["versus_leader"] or {}
            out.append(
                {
                    "key": f"{metric['name']}:{r['key']}",
                    "rank": r["rank"],
                    "setting": r["label"],
                    "metric": f"{metric['name']} {'↑' if metric['mode'] == 'max' else '↓'}",
                    "n": r["n"],
                    "mean": cell(r["mean"]),
                    "ci_low": cell(r["ci_low"]),
                    "ci_high": cell(r["ci_high"]),
                    "std": cell(r["std"]),
                    "median": cell(r["median"]),
                    "iqm": cell(r["iqm"]),
                    "difference": cell(against.get("difference")),
                    "p_value": cell(against.get("p_value")),
                    "improvement": cell(against.get("probability_of_improvement")),
                    "verdict": "leader"
                    if r["rank"] == 1 and r["n"]
                    else against.get("verdict", ""),
                }
            )

    def numeric(field: str, name: str, tip: str, **extra: Any) -> dict[str, Any]:
        return {
            "field": field,
            "headerName": name,
            "headerTooltip": tip,
            "minWidth": 105,
            **_NUMERIC,
            **extra,
        }

    columns: list[dict[str, Any]] = [
        numeric("rank", "#", "Rank by mean, best first", minWidth=70, maxWidth=80, pinned="left"),
        {
            "field": "setting",
            "headerName": "Setting",
            "headerTooltip": "An experiment, or the experiments sharing a group-by value",
            "minWidth": 220,
            "pinned": "left",
            "tooltipField": "setting",
        },
        {
            "field": "metric",
            "headerName": "Metric",
            "headerTooltip": "↑: higher is better, ↓: lower",
            "minWidth": 110,
            "filter": True,
        },
        numeric("n", "Trials", f"Complete trials with a value ({statistic})", minWidth=90),
        numeric("mean", "Mean", f"Mean over trials of {statistic}", minWidth=95),
        numeric("ci_low", "95% CI low", "Lower end of the 95% interval of the mean (t)"),
        numeric("ci_high", "95% CI high", "Upper end of the 95% interval of the mean (t)"),
        numeric("difference", "Δ vs leader", "This mean minus the leader's mean"),
        numeric("p_value", "p", "Welch's t-test against the leader", valueFormatter=GRID_P_VALUE),
        numeric(
            "improvement",
            "P(leader better)",
            "Probability that a trial of the leader beats one of this setting",
            minWidth=120,
        ),
        {
            "field": "verdict",
            "headerName": "Verdict",
            "headerTooltip": "Is this setting told apart from the leader?",
            "minWidth": 260,
            "tooltipField": "verdict",
        },
        numeric("std", "Std", "Sample standard deviation over trials"),
        numeric("median", "Median", "Median over trials"),
        numeric("iqm", "IQM", "Interquartile mean over trials (rliable)"),
    ]
    return out, columns
