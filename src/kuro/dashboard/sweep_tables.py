"""Rows and column definitions of the sweeps page's grids, from the queue selectors' plain
data (``sweep_list``, ``sweep_detail``).

Grid fields of parameters are generated (``p0``, ``p1``...): names may hold dots, which AG
Grid reads as paths.

Values are floats (NaN and ±infinity included). JSON, and so Dash's stores and grids, has
neither: ``detail_to_store`` writes a sweep's values as wire values for its store and
``detail_from_store`` reads them back; a grid cell holds an infinity as its wire string.
People see NaN (or no value) as a dash and infinities as ``inf``/``-inf``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.dashboard.formats import GRID_VALUE, cell, value_text
from kuro.dashboard.mount import group_href
from kuro.dashboard.stores import from_store, to_store

__all__ = [
    "STATUS_ORDER",
    "column_width",
    "config_table",
    "detail_from_store",
    "detail_to_store",
    "params_rows",
    "status_text",
    "sweep_table",
    "value_text",
]

STATUS_ORDER = ("complete", "running", "queued", "pruned", "failed", "lost")
_NUMERIC = {"type": "rightAligned", "filter": "agNumberColumnFilter", "valueFormatter": GRID_VALUE}
_VALUE = {"type": "rightAligned", "filter": "agNumberColumnFilter", "valueFormatter": GRID_VALUE}
_FLOATS = ("value", "mean", "std", "ci_low", "ci_high")
_STATES = {
    f"kuro-status-{s}": f"params.value == '{s}'"
    for s in ("running", "complete", "failed", "pruned", "queued", "lost", "finished")
}


def _escape(text: str) -> str:
    """Text safe inside a Markdown link label."""
    return "".join(f"\\{c}" if c in "\\[]()*_`<>" else c for c in text)


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
        return value
    return json.dumps(value)


def detail_to_store(detail: Mapping[str, Any]) -> dict[str, Any]:
    """``selectors.sweep_detail`` for a Dash store: its values as wire values.

    >>> detail_to_store({"configs": [], "best": {"value": float("inf"), "mean": 1.0,
    ...                                          "std": None}})["best"]
    {'value': 'Infinity', 'mean': 1.0, 'std': None}
    """
    return to_store(detail, _FLOATS)


def detail_from_store(data: Mapping[str, Any]) -> dict[str, Any]:
    """A sweep read back from its store: values as floats again."""
    return from_store(data, _FLOATS)


def status_text(counts: Mapping[str, int]) -> str:
    """Trial counts by status, the usual order first.

    >>> status_text({"running": 1, "complete": 2})
    '2 complete · 1 running'
    """
    order = [s for s in STATUS_ORDER if counts.get(s)] + sorted(set(counts) - set(STATUS_ORDER))
    return " · ".join(f"{counts[s]} {s}" for s in order if counts[s])


def params_rows(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs of a configuration for a small table, floats to six digits.

    >>> params_rows({"lr": 0.000123456789, "act": "relu", "sizes": [1, 2]})
    [('lr', '0.000123457'), ('act', 'relu'), ('sizes', '[1, 2]')]
    """
    return [
        (k, f"{v:.6g}" if isinstance(v, float) else v if isinstance(v, str) else json.dumps(v))
        for k, v in params.items()
    ]


def _shown(value: Any) -> str:
    """A parameter as its grid cell shows it (``kuroNumber``: floats to four digits)."""
    if isinstance(value, float):
        return format(value, ".4g")
    return "—" if value is None else str(_value(value))


def column_width(header: str, values: Sequence[Any]) -> int:
    """A parameter column's minimum width in pixels: its widest value, or its header
    beside the header's menu and sort icons, readable whole (at most 260 px).

    >>> column_width("lr", [0.0001234, 0.1])
    112
    >>> column_width("layers", [1, 2])
    104
    """
    chars = max([len(_shown(v)) for v in values], default=1)
    return min(260, max(8 * chars + 40, 8 * len(header) + 56, 80))


def sweep_table(
    sweeps: Sequence[Mapping[str, Any]], href: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs) of ``selectors.sweep_list()``; each sweep links to ``href/<id>``."""
    rows = [
        {
            "key": str(s["id"]),
            "id": s["id"],
            "sweep": f"[#{s['id']}{' · ' + _escape(s['name']) if s['name'] else ''}]"
            f"({href}/{s['id']})",
            "group": f"[{_escape(s['group'])}]({group_href(s['group'])})",
            "identifier": s["identifier"],
            "objective": f"{s['objective']} {'↑' if s['mode'] == 'max' else '↓'}",
            "sampler": s["sampler"] + (f" (seed {s['seed']})" if s["seed"] is not None else ""),
            "pruner": s["pruner"],
            "status": s["status"],
            "configs": f"{s['n_configs']} / {s['max_configs']}",
            "created": (s["created_at"] or "")[:19].replace("T", " "),
        }
        for s in sweeps
    ]
    columns = [
        {"field": "sweep", "headerName": "Sweep", "cellRenderer": "markdown", "minWidth": 150},
        {"field": "group", "headerName": "Group", "cellRenderer": "markdown", "minWidth": 130},
        {"field": "identifier", "headerName": "Identifier", "minWidth": 140},
        {"field": "objective", "headerName": "Objective", "minWidth": 130},
        {"field": "sampler", "headerName": "Sampler", "minWidth": 130},
        {"field": "pruner", "headerName": "Pruner", "maxWidth": 120},
        {"field": "status", "headerName": "Status", "maxWidth": 120, "cellClassRules": _STATES},
        {"field": "configs", "headerName": "Configs", "maxWidth": 120, "type": "rightAligned"},
        {"field": "created", "headerName": "Created (UTC)", "minWidth": 150, "sort": "desc"},
    ]
    return rows, columns


def config_table(
    detail: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, columnDefs) of ``selectors.sweep_detail()``'s configurations: number, one
    column per parameter, state, mean, the 95% interval of the mean (a dash for a single
    trial), std, complete trials and counts by status."""
    keys = list(detail["space"])
    keys += sorted({k for c in detail["configs"] for k in c["params"]} - set(keys))
    field = {k: f"p{i}" for i, k in enumerate(keys)}
    best = detail["best"]["number"] if detail["best"] else None
    compare = group_href(detail["group"])
    rows = []
    for c in detail["configs"]:
        rows.append(
            {
                "key": str(c["number"]),
                "number": c["number"],
                **{field[k]: _value(v) for k, v in c["params"].items()},
                "state": c["state"],
                "mean": cell(c["mean"]),
                "ci_low": cell(c.get("ci_low")),
                "ci_high": cell(c.get("ci_high")),
                # One complete trial has no spread to speak of: a dash, not a zero.
                "std": cell(c["std"]) if c["n_complete"] > 1 else None,
                "complete": f"{c['n_complete']} / {detail['n_trials']}",
                "trials": status_text(c["status_counts"]),
                "experiment": f"[#{c['experiment_id']}]({compare})",
                "best": c["number"] == best,
            }
        )
    numeric = {
        k
        for k in keys
        if all(
            isinstance(c["params"].get(k), (int, float))
            and not isinstance(c["params"].get(k), bool)
            for c in detail["configs"]
        )
    }
    columns = [
        {
            "field": "number",
            "headerName": "#",
            "pinned": "left",
            "maxWidth": 80,
            "sort": "asc",
            "type": "rightAligned",
        },
        *(
            {
                "field": field[k],
                "headerName": k,
                "headerTooltip": k,
                **(_NUMERIC if k in numeric else {}),
                # Fitting the grid to its width must not cut a value ("0.00…" for 0.0001).
                "minWidth": column_width(k, [c["params"].get(k) for c in detail["configs"]]),
            }
            for k in keys
        ),
        {"field": "state", "headerName": "State", "minWidth": 110, "cellClassRules": _STATES},
        {
            "field": "mean",
            "headerName": "Mean",
            "headerTooltip": f"Mean of {detail['objective']} over the complete trials",
            **_VALUE,
            "minWidth": 105,  # the header beside its icons, unbroken ("Mea n" at 80 px)
        },
        {
            "field": "ci_low",
            "headerName": "95% CI low",
            "headerTooltip": "Lower end of the 95% interval of the mean (Student t); a dash "
            "for a single complete trial",
            **_VALUE,
            "minWidth": 120,
        },
        {
            "field": "ci_high",
            "headerName": "95% CI high",
            "headerTooltip": "Upper end of the 95% interval of the mean (Student t)",
            **_VALUE,
            "minWidth": 120,
        },
        {
            "field": "std",
            "headerName": "Std",
            "headerTooltip": f"Standard deviation of {detail['objective']} over them",
            **_VALUE,
            "minWidth": 105,
        },
        {
            "field": "complete",
            "headerName": "Complete",
            "headerTooltip": "Complete trials of the configuration's repeats",
            "minWidth": 125,
            "type": "rightAligned",
        },
        {"field": "trials", "headerName": "Trials by status", "minWidth": 200},
        {
            "field": "experiment",
            "headerName": "Experiment",
            "headerTooltip": "The configuration's experiment, in the compare page of the group",
            "cellRenderer": "markdown",
            "minWidth": 120,
        },
    ]
    return rows, columns
