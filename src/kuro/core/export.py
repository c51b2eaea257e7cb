"""A group's export (schema ``kuro.export/1``) as flat rows: one per point, for CSV and
pandas. Columns, in order::

    group, experiment_id, identifier, hp.<name>..., trial_id, trial_number, worker,
    status, metric, step, value, time

``hp.<name>`` holds each hyper-parameter (JSON text for lists and objects; empty when an
experiment lacks it); ``value`` is a number or ``NaN``/``Infinity``/``-Infinity``; ``time``
is seconds since the epoch. An export that carries tags and notes (every server's since
they exist) has four more columns before ``metric``: ``experiment_tags``,
``experiment_note``, ``trial_tags``, ``trial_note`` (tags comma-separated, sorted).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["export_columns", "export_rows", "write_csv"]

_TRIAL_COLUMNS = ["trial_id", "trial_number", "worker", "status", "metric", "step", "value", "time"]
_ANNOTATION_COLUMNS = ["experiment_tags", "experiment_note", "trial_tags", "trial_note"]


def _annotated(doc: dict[str, Any]) -> bool:
    return any("tags" in e for e in doc["experiments"])


def _hp_names(doc: dict[str, Any]) -> list[str]:
    return sorted({name for e in doc["experiments"] for name in e["hyper_parameters"]})


def export_columns(doc: dict[str, Any]) -> list[str]:
    hp = [f"hp.{name}" for name in _hp_names(doc)]
    trial = _TRIAL_COLUMNS
    if _annotated(doc):
        trial = [*trial[:4], *_ANNOTATION_COLUMNS, *trial[4:]]
    return ["group", "experiment_id", "identifier", *hp, *trial]


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def export_rows(doc: dict[str, Any]) -> Iterator[list[Any]]:
    """Every point of the export, as a row of ``export_columns(doc)``."""
    names = _hp_names(doc)
    annotated = _annotated(doc)
    for e in doc["experiments"]:
        head = [doc["group"], e["id"], e["identifier"]]
        head += [_cell(e["hyper_parameters"].get(name, "")) for name in names]
        for t in e["trials"]:
            trial = [t["id"], t["number"], t["worker"], t["status"]]
            if annotated:
                trial += [",".join(e.get("tags", ())), e.get("note", "")]
                trial += [",".join(t.get("tags", ())), t.get("note", "")]
            for metric, s in t.get("series", {}).items():
                for step, value, moment in zip(s["steps"], s["values"], s["times"], strict=True):
                    yield [*head, *trial, metric, step, value, moment]


def write_csv(doc: dict[str, Any], out: TextIO) -> int:
    """Write the export as CSV with a header line; answers the number of points."""
    writer = csv.writer(out)
    writer.writerow(export_columns(doc))
    n = 0
    for row in export_rows(doc):
        writer.writerow(row)
        n += 1
    return n
