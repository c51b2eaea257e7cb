"""Rows and column definitions of the dashboard's grids, from the selectors' plain data.

Grid fields are generated (``p0``, ``m0``...) because hyper-parameter and metric names may
hold dots, which AG Grid reads as paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kuro.dashboard.aggregation import (
    differing_keys,
    flatten,
    summarize,
    summary_best,
    trial_bests,
)
from kuro.dashboard.figures.theme import color

__all__ = [
    "aggregate_table",
    "duration",
    "experiment_colors",
    "experiment_labels",
    "experiment_table",
    "short_names",
    "trial_table",
]

NUMBER = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}
_NUMERIC = {
    "type": "rightAligned",
    "filter": "agNumberColumnFilter",
    "valueFormatter": NUMBER,
}


def _display(value: Any) -> Any:
    if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
        return value
    return json.dumps(value)


def short_names(identifiers: Iterable[str]) -> dict[str, str]:
    """Identifiers that are dotted paths (``qanta.guesser.dan.DanGuesser``) by their last
    part, unless two would then read the same."""
    unique = set(identifiers)
    short = {i: i.rsplit(".", 1)[-1] or i for i in unique}
    if len(set(short.values())) < len(unique):
        return {i: i for i in unique}
    return short


def experiment_labels(experiments: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """experiment id -> ``identifier #id`` and the hyper-parameters that differ.

    >>> experiment_labels([{"id": 3, "identifier": "zoo.mlp", "hyper_parameters": {"lr": 1}},
    ...                    {"id": 4, "identifier": "zoo.mlp", "hyper_parameters": {"lr": 2}}])
    {3: 'mlp #3 · lr=1', 4: 'mlp #4 · lr=2'}
    """
    keys = differing_keys(experiments)
    names = short_names(e["identifier"] for e in experiments)
    labels = {}
    for e in experiments:
        params = flatten(e.get("hyper_parameters") or {})
        shown = ", ".join(f"{k}={_display(params.get(k))}" for k in keys[e["identifier"]])
        labels[e["id"]] = f"{names[e['identifier']]} #{e['id']}" + (f" · {shown}" if shown else "")
    return labels


def experiment_colors(experiment_ids: Iterable[int]) -> dict[int, str]:
    """Distinct colours for the experiments shown together, stable by id order."""
    return {eid: color(i) for i, eid in enumerate(sorted(experiment_ids))}


def experiment_table(
    experiments: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs): identifier, id, the differing hyper-parameters, trial counts and
    each metric's mean over trials."""
    keys = sorted({k for ks in differing_keys(experiments).values() for k in ks})
    field = {k: f"p{i}" for i, k in enumerate(keys)}
    rows = []
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
            row[field[k]] = _display(params.get(k))
        names = set(e.get("metrics") or ())
        for i, m in enumerate(metrics):
            if m["name"] in names:
                stats = summarize(trial_bests(e, m["name"]), m["mode"])
                row[f"m{i}"] = stats["mean"]
        rows.append(row)
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
                    best = summary_best(t, m["name"])
                    row[f"m{i}"] = best if best == best else None
            rows.append(row)
    columns: list[dict[str, Any]] = [
        {"field": "experiment", "headerName": "Experiment", "minWidth": 200, "pinned": "left"},
        {
            "field": "trial",
            "headerName": "Trial (id · number)",
            "cellRenderer": "markdown",
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
    rows: Sequence[Mapping[str, Any]], labels: Mapping[int, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs) of ``aggregation.experiment_aggregates`` rows."""
    out = [
        {
            "key": f"{r['experiment_id']}:{r['metric']}",
            "experiment": labels.get(r["experiment_id"], str(r["experiment_id"])),
            "metric": r["metric"],
            "mode": r["mode"],
            "n": r["n"],
            "n_trials": r["n_trials"],
            "mean": r["mean"],
            "best": r["best"],
            "std": r["std"],
        }
        for r in rows
    ]
    columns: list[dict[str, Any]] = [
        {"field": "experiment", "headerName": "Experiment", "minWidth": 220, "pinned": "left"},
        {"field": "metric", "headerName": "Metric", "minWidth": 110, "filter": True},
        {"field": "mode", "headerName": "Mode", "maxWidth": 90},
        {"field": "mean", "headerName": "Mean", **_NUMERIC},
        {"field": "best", "headerName": "Best", **_NUMERIC},
        {"field": "std", "headerName": "Std", **_NUMERIC},
        {"field": "n", "headerName": "Trials with value", **_NUMERIC},
        {"field": "n_trials", "headerName": "Trials", **_NUMERIC},
    ]
    return out, columns
