"""Downloads of a selection: the ``kuro.export/1`` JSON document, and the same data as CSV
with one row per point."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["CSV_COLUMNS", "export_csv", "export_json"]

CSV_COLUMNS = (
    "group",
    "experiment_id",
    "identifier",
    "hyper_parameters",
    "trial_id",
    "trial_number",
    "worker",
    "status",
    "metric",
    "step",
    "value",
    "time",
)


def export_json(document: Mapping[str, Any]) -> str:
    """The document as strict JSON (its values are already in wire form)."""
    return json.dumps(document, allow_nan=False)


def export_csv(document: Mapping[str, Any]) -> str:
    """One row per point; ``hyper_parameters`` as JSON, values as on the wire (``NaN``...)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    group = document["group"]
    for e in document["experiments"]:
        params = json.dumps(e["hyper_parameters"], sort_keys=True)
        for t in e["trials"]:
            head = (group, e["id"], e["identifier"], params, t["id"], t["number"], t["worker"])
            for metric, s in (t.get("series") or {}).items():
                writer.writerows(
                    (*head, t["status"], metric, step, value, time)
                    for step, value, time in zip(s["steps"], s["values"], s["times"], strict=True)
                )
    return out.getvalue()
