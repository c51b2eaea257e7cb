"""The raw export of a whole group: every experiment, trial and full series.

Schema ``kuro.export/1`` (documented in the README)::

    {"schema": "kuro.export/1", "group": str, "exported_at": iso-8601,
     "metrics": [{"name", "mode"}],
     "experiments": [{"id", "identifier", "hyper_parameters", "n_trials", "metrics",
                      "created_at", "status_counts",
                      "trials": [{"id", "number", "worker", "status", "error", "started_at",
                                  "ended_at", "heartbeat_at", "summaries",
                                  "series": {metric: {"steps", "values", "times"}}}]}]}

Metric values (series values, summaries' best and last) are floats here, NaN as
``math.nan``; the ``/export`` answer and the dashboard's downloads write them in wire form
(``kuro.server.wire.export_wire``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.utils import timezone

from kuro.server.tracking.selectors.experiments import group_experiments
from kuro.server.tracking.selectors.history import metric_history
from kuro.server.tracking.selectors.moments import iso

__all__ = ["EXPORT_HOOKS", "EXPORT_SCHEMA", "group_export"]

EXPORT_SCHEMA = "kuro.export/1"
_CHUNK = 500
EXPORT_HOOKS: list[Callable[[dict[str, Any]], None]] = []
"""Functions that add to each export document in place, set by apps that build on
tracking (the annotations app adds tags and notes), which tracking never imports."""


def group_export(*, group: str, experiment_ids: Collection[int] | None = None) -> dict[str, Any]:
    """Everything recorded in a group, at full fidelity (no sampling); with
    ``experiment_ids``, only those experiments of the group (the dashboard's selection)."""
    data = group_experiments(group=group)
    if experiment_ids is not None:
        wanted = set(experiment_ids)
        data["experiments"] = [e for e in data["experiments"] if e["id"] in wanted]
    trials = [t for e in data["experiments"] for t in e["trials"]]
    for start in range(0, len(trials), _CHUNK):
        chunk = trials[start : start + _CHUNK]
        histories = metric_history(trial_ids=[t["id"] for t in chunk])
        for trial, history in zip(chunk, histories, strict=True):
            trial["series"] = {
                name: {k: s[k] for k in ("steps", "values", "times")}
                for name, s in history["metrics"].items()
            }
    document = {
        "schema": EXPORT_SCHEMA,
        "group": data["group"],
        "exported_at": iso(timezone.now()),
        "metrics": data["metrics"],
        "experiments": data["experiments"],
    }
    for hook in EXPORT_HOOKS:
        hook(document)
    return document
