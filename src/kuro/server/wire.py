"""Metric values leave the server in wire form here, once: selectors answer floats (NaN as
``math.nan``), and JSON has no NaN or infinities (orjson would write ``null``).

The response schemas encode their metric fields (``tracking.schemas.Summary`` and
``SeriesOut``); the schemaless export document is encoded by ``export_wire``, for the
``/export`` answer and the dashboard's downloads alike, so both read as ``kuro export``
writes them.

>>> trial = {"summaries": {"loss": {"best": float("nan"), "last": 1.0}},
...          "series": {"loss": {"values": [1.0, float("inf")]}}}
>>> wired = export_wire({"experiments": [{"trials": [trial]}]})["experiments"][0]["trials"][0]
>>> wired["summaries"]["loss"], wired["series"]["loss"]["values"]
({'best': 'NaN', 'last': 1.0}, [1.0, 'Infinity'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kuro.core.values import encode_value, encode_values

__all__ = ["export_wire", "summaries_wire"]


def summaries_wire(summaries: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A trial's summaries (metric -> best, last...) with best and last in wire form."""
    return {
        name: {**s, "best": encode_value(s["best"]), "last": encode_value(s["last"])}
        for name, s in summaries.items()
    }


def export_wire(document: Mapping[str, Any]) -> dict[str, Any]:
    """A ``kuro.export/1`` document (``selectors.group_export``) with its metric values in
    wire form; the document given is left as it is."""
    return {
        **document,
        "experiments": [
            {**e, "trials": [_trial_wire(t) for t in e["trials"]]} for e in document["experiments"]
        ],
    }


def _trial_wire(trial: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(trial)
    if "summaries" in trial:
        out["summaries"] = summaries_wire(trial["summaries"])
    if "series" in trial:
        out["series"] = {
            name: {**s, "values": encode_values(s["values"])} for name, s in trial["series"].items()
        }
    return out
