"""Downloads of a selection: the ``kuro.export/1`` JSON document, and the same data as CSV
with one row per point, in exactly the columns ``kuro export -o FILE.csv`` writes (the
client's writer: one schema, however the data leaves Kuro)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.core.export import write_csv
from kuro.core.values import encode_value
from kuro.server.wire import export_wire

__all__ = ["COMPARISON_COLUMNS", "comparison_csv", "export_csv", "export_json"]

COMPARISON_COLUMNS = (
    "metric",
    "mode",
    "statistic",
    "step",
    "group_by",
    "rank",
    "setting",
    "experiment_ids",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "std",
    "median",
    "iqm",
    "difference",
    "p_value",
    "probability_of_improvement",
    "separated",
    "verdict",
)
_DESCRIBED = ("mean", "ci_low", "ci_high", "std", "median", "iqm")


def export_json(document: Mapping[str, Any]) -> str:
    """The document (``selectors.selection_export``, floats) as strict JSON with its metric
    values in wire form, as ``GET /export`` answers it."""
    return json.dumps(export_wire(document), allow_nan=False)


def export_csv(document: Mapping[str, Any]) -> str:
    """One row per point: group, experiment, ``hp.<name>`` per hyper-parameter, trial,
    metric, step, value (``NaN``... as on the wire) and time."""
    out = io.StringIO()
    write_csv(export_wire(document), out)
    return out.getvalue()


def comparison_csv(
    by_metric: Sequence[tuple[Mapping[str, str], Sequence[Mapping[str, Any]]]],
    statistic: str,
    step: int | None,
    group_by: str | None,
) -> str:
    """The compare page's aggregates as CSV: one row per (metric, setting) in rank order,
    by the page's per-trial ``statistic``; values as the wire writes them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COMPARISON_COLUMNS)
    for metric, rows in by_metric:
        for r in rows:
            against = r["versus_leader"] or {}
            writer.writerow(
                [
                    metric["name"],
                    metric["mode"],
                    statistic,
                    "" if step is None else step,
                    group_by or "",
                    r["rank"],
                    r["label"],
                    " ".join(map(str, r["experiment_ids"])),
                    r["n"],
                    *(encode_value(r[k]) for k in _DESCRIBED),
                    *(
                        "" if k not in against else encode_value(against[k])
                        for k in ("difference", "p_value", "probability_of_improvement")
                    ),
                    "" if not against else against["separated"],
                    "leader" if not against else against["verdict"],
                ]
            )
    return out.getvalue()
