"""The compare page's tags and code versions: the tag filter, the Tags and Commit columns
of the experiment and trial grids, and the warning when the trials of one setting ran
different commits or from dirty trees (uncommitted changes).

The group's store (``compare-group``) carries each experiment's and trial's ``tags`` and
``note`` and each trial's ``commit`` and ``dirty`` (``annotations.selectors.group_annotate``
in ``group.load_group``); everything here is computed from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import Input, Output, callback, html

from kuro.core.labels import experiment_labels
from kuro.dashboard.formats import count_text

__all__ = [
    "code_warnings",
    "provenance_view",
    "show_provenance",
    "tag_options",
    "tagged_experiments",
    "tagged_trials",
    "with_experiment_columns",
    "with_trial_columns",
]

SHORT = 10
"""Characters of a commit shown in a grid (the full one is in its tooltip)."""


def tag_options(data: Mapping[str, Any] | None) -> list[str]:
    """Every tag of the group's experiments and trials, sorted."""
    found: set[str] = set()
    for e in (data or {}).get("experiments", ()):
        found.update(e.get("tags") or ())
        for t in e.get("trials", ()):
            found.update(t.get("tags") or ())
    return sorted(found)


def _trial_has(e: Mapping[str, Any], t: Mapping[str, Any], tag: str) -> bool:
    return tag in (t.get("tags") or ()) or tag in (e.get("tags") or ())


def tagged_experiments(experiments: Sequence[Mapping[str, Any]], tag: str | None) -> list[Any]:
    """The experiments that carry ``tag`` or have a trial that does (all without a tag)."""
    if not tag:
        return list(experiments)
    return [
        e
        for e in experiments
        if tag in (e.get("tags") or ()) or any(_trial_has(e, t, tag) for t in e.get("trials", ()))
    ]


def tagged_trials(experiments: Sequence[Mapping[str, Any]], tag: str | None) -> list[Any]:
    """The experiments with only their trials that carry ``tag`` (or whose experiment
    does); experiments left without a trial are left out (all without a tag)."""
    if not tag:
        return list(experiments)
    out = []
    for e in experiments:
        trials = [t for t in e.get("trials", ()) if _trial_has(e, t, tag)]
        if trials:
            out.append({**e, "trials": trials})
    return out


def _commits(e: Mapping[str, Any]) -> tuple[list[str], int, int]:
    """The distinct commits of an experiment's trials (in order of first use), how many
    trials ran from a dirty tree, and how many have a known commit."""
    commits: list[str] = []
    dirty = known = 0
    for t in e.get("trials", ()):
        commit = t.get("commit")
        if not commit:
            continue
        known += 1
        if commit not in commits:
            commits.append(commit)
        dirty += bool(t.get("dirty"))
    return commits, dirty, known


def _code_text(commits: list[str], dirty: int) -> str:
    if not commits:
        return ""
    text = commits[0][:SHORT] if len(commits) == 1 else f"⚠ {len(commits)} commits"
    return text + (" +dirty" if dirty else "")


def _insert_after(columns: list[dict[str, Any]], field: str, new: list[dict[str, Any]]) -> None:
    at = next((i + 1 for i, c in enumerate(columns) if c.get("field") == field), len(columns))
    columns[at:at] = new


def _tags_column() -> dict[str, Any]:
    return {"field": "tags", "headerName": "Tags", "minWidth": 120, "tooltipField": "tags"}


def with_experiment_columns(
    rows: list[dict[str, Any]],
    columns: list[dict[str, Any]],
    experiments: Sequence[Mapping[str, Any]],
) -> None:
    """Add, in place, each experiment's Tags (its own and its trials') and Commit (the
    one commit of its trials, or how many) after its id."""
    by_id = {e["id"]: e for e in experiments}
    any_commit = False
    for row in rows:
        e = by_id[row["id"]]
        trial_tags = {tag for t in e.get("trials", ()) for tag in t.get("tags") or ()}
        row["tags"] = " ".join(sorted(set(e.get("tags") or ()) | trial_tags))
        commits, dirty, _ = _commits(e)
        row["commit"] = _code_text(commits, dirty)
        row["commits"] = ", ".join(commits)
        any_commit = any_commit or bool(commits)
    new = [_tags_column()]
    if any_commit:
        new.append(
            {"field": "commit", "headerName": "Commit", "minWidth": 120, "tooltipField": "commits"}
        )
    _insert_after(columns, "id", new)


def with_trial_columns(
    rows: list[dict[str, Any]],
    columns: list[dict[str, Any]],
    experiments: Sequence[Mapping[str, Any]],
) -> None:
    """Add, in place, each trial's Tags and Commit (``+dirty`` for uncommitted changes)
    after its status."""
    trials = {t["id"]: t for e in experiments for t in e.get("trials", ())}
    any_commit = False
    for row in rows:
        t = trials[row["id"]]
        row["tags"] = " ".join(t.get("tags") or ())
        commit = t.get("commit") or ""
        row["commit"] = commit[:SHORT] + (" +dirty" if commit and t.get("dirty") else "")
        row["commit_full"] = commit
        any_commit = any_commit or bool(commit)
    new = [_tags_column()]
    if any_commit:
        new.append(
            {
                "field": "commit",
                "headerName": "Commit",
                "minWidth": 130,
                "tooltipField": "commit_full",
            }
        )
    _insert_after(columns, "status", new)


def code_warnings(experiments: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per experiment whose trials ran different commits or from a dirty
    tree: their results may not come from the same code."""
    labels = experiment_labels(experiments)
    out = []
    for e in experiments:
        commits, dirty, known = _commits(e)
        problems = []
        if len(commits) > 1:
            shown = ", ".join(c[:SHORT] for c in commits[:4])
            more = f" and {len(commits) - 4} more" if len(commits) > 4 else ""
            problems.append(f"ran {len(commits)} different commits ({shown}{more})")
        if dirty:
            problems.append(
                f"{dirty} of {count_text(known, 'trial')} ran from a dirty tree "
                "(uncommitted changes)"
            )
        if problems:
            out.append(f"{labels[e['id']]}: its trials " + "; ".join(problems) + ".")
    return out


def provenance_view(stored: Mapping[str, Any] | None) -> Any:
    """The warning above the experiment grid, or None when every setting's trials ran
    one clean commit (or sent no code version)."""
    if not stored:
        return None
    # Tags and commits are never metric values: the stored form is read as it is.
    warnings = code_warnings(stored["experiments"])
    if not warnings:
        return None
    return html.Div(
        [
            html.Strong("⚠ Trials of one setting ran different code. "),
            "Their differences may come from the code, not from the setting:",
            html.Ul([html.Li(w) for w in warnings]),
        ],
        className="kuro-note kuro-provenance",
    )


@callback(
    Output("compare-tag-filter", "options"),
    Output("compare-provenance", "children"),
    Input("compare-group", "data"),
    prevent_initial_call=True,  # the layout draws the first view
)
def show_provenance(stored: dict[str, Any] | None) -> tuple:
    """The tag filter's choices and the code-version warning of the group."""
    return tag_options(stored), provenance_view(stored)
