"""Reads: the tags and note of one experiment or trial, of a whole group, the code
version each trial ran (from its run context), and the export's annotations.

Tags come sorted by name; a missing note is ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.fields.json import KT

from kuro.core.errors import NotFound
from kuro.server.annotations.kinds import owner_of
from kuro.server.annotations.models import ExperimentNote, ExperimentTag, TrialNote, TrialTag
from kuro.server.tracking.models import Group, Trial

__all__ = [
    "annotation_detail",
    "export_annotate",
    "group_annotate",
    "group_annotations",
    "trial_code",
]

Annotations = dict[int, dict[str, Any]]


def annotation_detail(*, kind: str, ident: int) -> dict[str, Any]:
    """``{"tags": [...], "note": str}`` of experiment or trial ``ident``."""
    owner = owner_of(kind)
    owner.check_exists(ident)
    where = {f"{owner.field}_id": ident}
    tags = list(owner.tag.objects.filter(**where).order_by("name").values_list("name", flat=True))
    note = owner.note.objects.filter(**where).values_list("text", flat=True).first()
    return {"tags": tags, "note": note or ""}


def _collect(tags: Iterable[tuple[int, str]], notes: Iterable[tuple[int, str]]) -> Annotations:
    out: Annotations = {}
    for ident, name in tags:
        out.setdefault(ident, {"tags": [], "note": ""})["tags"].append(name)
    for ident, text in notes:
        out.setdefault(ident, {"tags": [], "note": ""})["note"] = text
    return out


def group_annotations(*, group: str) -> dict[str, Annotations]:
    """``{"experiments": {id: {"tags", "note"}}, "trials": {id: {"tags", "note"}}}`` for
    the experiments and trials of ``group`` that carry a tag or a note (four queries)."""
    found = Group.objects.filter(name=group).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(f"group {group!r} does not exist", detail={"field": "group"})
    in_experiments = {"experiment__group_id": found}
    in_trials = {"trial__experiment__group_id": found}
    return {
        "experiments": _collect(
            ExperimentTag.objects.filter(**in_experiments)
            .order_by("experiment_id", "name")
            .values_list("experiment_id", "name"),
            ExperimentNote.objects.filter(**in_experiments).values_list("experiment_id", "text"),
        ),
        "trials": _collect(
            TrialTag.objects.filter(**in_trials)
            .order_by("trial_id", "name")
            .values_list("trial_id", "name"),
            TrialNote.objects.filter(**in_trials).values_list("trial_id", "text"),
        ),
    }


def trial_code(*, trial_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """trial id -> ``{"commit", "dirty"}`` from its run context (None for both outside a
    git repository or before the context came); the diffs are never read."""
    ids = sorted(set(trial_ids))
    # As text on both databases (a JSON value read back could turn "1234..." into a number);
    # true is "true" on PostgreSQL and "1" on SQLite.
    rows = (
        Trial.objects.filter(pk__in=ids)
        .annotate(commit=KT("context__git__commit"), dirty=KT("context__git__dirty"))
        .values_list("pk", "commit", "dirty")
    )
    return {
        pk: {
            "commit": commit or None,
            "dirty": (str(dirty).lower() in ("true", "1")) if commit else None,
        }
        for pk, commit, dirty in rows
    }


def _blank() -> dict[str, Any]:
    return {"tags": [], "note": ""}


def group_annotate(data: dict[str, Any], *, code: bool = False) -> dict[str, Any]:
    """A group's experiments (``tracking.selectors.group_experiments`` or the export) with
    ``tags`` and ``note`` set on each experiment and trial, in place; with ``code``, each
    trial's ``commit`` and ``dirty`` too."""
    try:
        found = group_annotations(group=data["group"])
    except NotFound:
        found = {"experiments": {}, "trials": {}}
    trials = []
    for e in data["experiments"]:
        e.update(found["experiments"].get(e["id"]) or _blank())
        for t in e["trials"]:
            t.update(found["trials"].get(t["id"]) or _blank())
            trials.append(t)
    if code:
        versions = trial_code(trial_ids=[t["id"] for t in trials])
        for t in trials:
            t.update(versions.get(t["id"]) or {"commit": None, "dirty": None})
    return data


def export_annotate(document: dict[str, Any]) -> None:
    """The export hook (see ``apps``): tags and note on each experiment and trial."""
    group_annotate(document)
