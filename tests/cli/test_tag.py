"""``kuro tag`` and ``kuro note`` against a real server: add, remove, list, notes from an
argument and from stdin, and errors said in one line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import kuro

KURO = str(Path(sys.executable).with_name("kuro"))


def _kuro(server: Any, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KURO, *args, "--server", server.url],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


@pytest.fixture
def made(live_kuro):
    """A group with one experiment and one trial on the live server."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    with kuro.Api(live_kuro.url) as api:
        experiment = api._post("/experiments", {"group": group, "identifier": "m"})
        trial = api._post(f"/experiments/{experiment['id']}/trials", {"worker": "w"})["trial"]
    return {"group": group, "experiment": experiment["id"], "trial": trial["id"]}


def test_tag_add_remove_list(live_kuro, made):
    """Tags are added and removed idempotently; list prints one a line."""
    trial = str(made["trial"])
    added = _kuro(live_kuro, "tag", "add", "--trial", trial, "baseline", "best")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "baseline best"
    assert _kuro(live_kuro, "tag", "add", "--trial", trial, "best").returncode == 0
    removed = _kuro(live_kuro, "tag", "remove", "--trial", trial, "best", "never-there")
    assert removed.returncode == 0 and removed.stdout.strip() == "baseline"
    listed = _kuro(live_kuro, "tag", "list", "--trial", trial)
    assert listed.stdout.splitlines() == ["baseline"]
    exp = str(made["experiment"])
    assert _kuro(live_kuro, "tag", "add", "--experiment", exp, "sweep-a").returncode == 0
    grouped = _kuro(live_kuro, "tag", "list", "--group", made["group"])
    assert grouped.stdout.splitlines() == [
        f"experiment {exp}\tm\tsweep-a",
        f"trial {trial}\tm\tbaseline",
    ]


def test_note_set_show_and_clear(live_kuro, made):
    """A note from an argument or stdin, printed back, then cleared."""
    trial = str(made["trial"])
    assert _kuro(live_kuro, "note", "--trial", trial, "first note").returncode == 0
    assert _kuro(live_kuro, "note", "--trial", trial).stdout == "first note\n"
    piped = _kuro(live_kuro, "note", "--trial", trial, "-", stdin="from\nstdin")
    assert piped.returncode == 0, piped.stderr
    assert _kuro(live_kuro, "note", "--trial", trial).stdout == "from\nstdin\n"
    assert _kuro(live_kuro, "note", "--trial", trial, "--clear").returncode == 0
    assert _kuro(live_kuro, "note", "--trial", trial).stdout == ""


def test_errors_are_one_clear_line(live_kuro, made):
    """A bad tag names its field; an unknown trial says it does not exist; no traceback."""
    bad = _kuro(live_kuro, "tag", "add", "--trial", str(made["trial"]), "ok", "a,b")
    assert bad.returncode == 1
    assert bad.stderr.startswith("kuro tag add: ") and "add[1]" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = _kuro(live_kuro, "tag", "add", "--trial", "987654321", "x")
    assert missing.returncode == 1 and "trial 987654321 does not exist" in missing.stderr
    both = _kuro(live_kuro, "note", "--trial", str(made["trial"]), "x", "--clear")
    assert both.returncode == 1 and "not both" in both.stderr
    neither = _kuro(live_kuro, "tag", "list")
    assert neither.returncode == 2 and "one of the arguments" in neither.stderr


def test_export_json_and_csv_carry_tags_and_notes(live_kuro, tmp_path):
    """``kuro export``: the JSON has tags and notes, the CSV their columns."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    with kuro.Worker("tagger", live_kuro.url, spool_dir=tmp_path / "spool") as worker:
        experiment = worker.experiment(group, "m")
        experiment.tags.add("e")
        with experiment.trial() as trial:
            trial.report_metric("loss", 1.0)
            trial.tags.add("b", "a")
            trial.note = "n"
    out = tmp_path / "g.json"
    assert _kuro(live_kuro, "export", group, "-o", str(out)).returncode == 0
    [e] = json.loads(out.read_text())["experiments"]
    assert e["tags"] == ["e"] and e["trials"][0]["tags"] == ["a", "b"]
    table = tmp_path / "g.csv"
    assert _kuro(live_kuro, "export", group, "-o", str(table)).returncode == 0
    [row] = list(csv.DictReader(io.StringIO(table.read_text())))
    assert (row["experiment_tags"], row["experiment_note"]) == ("e", "")
    assert (row["trial_tags"], row["trial_note"]) == ("a,b", "n")
