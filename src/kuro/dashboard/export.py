"""Downloads of a selection: the ``kuro.export/1`` JSON document, and the same data as CSV
with one row per point, in exactly the columns ``kuro export -o FILE.csv`` writes (the
client's writer: one schema, however the data leaves Kuro)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from kuro.core.export import write_csv
from kuro.server.wire import export_wire

__all__ = ["export_csv", "export_json"]


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
