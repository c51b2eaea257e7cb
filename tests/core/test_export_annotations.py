"""The export's CSV with tags and notes: four columns before ``metric`` when the document
carries them, none when it does not (documents of older servers)."""

from __future__ import annotations

import csv
import io

from kuro.core.export import export_columns, write_csv
from kuro.core.limits import check_note, check_tag

DOC = {
    "group": "g",
    "experiments": [
        {
            "id": 1,
            "identifier": "m",
            "hyper_parameters": {"lr": 0.1},
            "tags": ["base", "x"],
            "note": "",
            "trials": [
                {
                    "id": 7,
                    "number": 0,
                    "worker": "w",
                    "status": "complete",
                    "tags": ["best"],
                    "note": "line one\nline, two",
                    "series": {"loss": {"steps": [0], "values": [0.5], "times": [1.0]}},
                }
            ],
        }
    ],
}


def test_csv_has_tag_and_note_columns():
    """Tags comma-joined, the note as it is (CSV quotes it)."""
    out = io.StringIO()
    assert write_csv(DOC, out) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert export_columns(DOC)[7:13] == [
        "status", "experiment_tags", "experiment_note", "trial_tags", "trial_note", "metric",
    ]  # fmt: skip
    assert (row["experiment_tags"], row["trial_tags"]) == ("base,x", "best")
    assert row["trial_note"] == "line one\nline, two" and row["value"] == "0.5"


def test_documents_without_annotations_keep_their_columns():
    """An export without tags has the columns it always had."""
    plain = {**DOC, "experiments": [{k: v for k, v in DOC["experiments"][0].items()
                                     if k not in ("tags", "note")}]}  # fmt: skip
    assert "trial_tags" not in export_columns(plain)


def test_tag_and_note_rules():
    """A tag has no whitespace or comma, and at most 64 characters; a note may be empty."""
    assert check_tag("lr-0.1:best/2") == "lr-0.1:best/2"
    for bad in ("", "a b", "a,b", "x" * 65, "tab\t", 3):
        try:
            check_tag(bad)
        except Exception as error:
            assert error.detail == {"field": "tag"}
        else:
            raise AssertionError(bad)
    assert check_note("") == ""
    for bad in ("nul\x00", "lone \ud800", "x" * 10_001, None):
        try:
            check_note(bad)
        except Exception as error:
            assert error.detail == {"field": "note"}
        else:
            raise AssertionError(bad)
