"""The compare page's tags and code versions, its callbacks called as functions: the tag
filter, the Tags and Commit columns, and the warning for mixed commits or dirty trees."""

from __future__ import annotations

import pytest
from plotly.io.json import to_json_plotly

from kuro.dashboard import create_app
from kuro.server.annotations.services import annotation_update
from kuro.server.tracking.services import (
    experiment_get_or_create,
    trial_acquire,
    trial_context_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def compare():
    create_app()
    from kuro.dashboard.pages import compare

    return compare


def _git(commit: str, dirty: bool = False) -> dict:
    return {"git": {"commit": commit, "dirty": dirty, "branch": "main", "diff": ""}}


@pytest.fixture
def group():
    """Two settings: ``a`` ran one clean commit; ``b`` two commits, one from a dirty tree."""
    a = experiment_get_or_create(group="g", identifier="m", hyper_parameters={"lr": 1}, n_trials=2)
    b = experiment_get_or_create(group="g", identifier="m", hyper_parameters={"lr": 2}, n_trials=2)
    trials = {}
    for name, experiment, worker, commit, dirty in (
        ("a0", a, "w1", "1" * 40, False),
        ("a1", a, "w2", "1" * 40, False),
        ("b0", b, "w1", "2" * 40, False),
        ("b1", b, "w2", "3" * 40, True),
    ):
        trial = trial_acquire(experiment_id=experiment.pk, worker=worker)
        trial_context_record(trial_id=trial.pk, context=_git(commit, dirty), packages=[])
        trials[name] = trial.pk
    annotation_update(kind="trial", ident=trials["a1"], add=["best"])
    annotation_update(kind="experiment", ident=b.pk, add=["baseline"], note="b's note")
    return {"a": a.pk, "b": b.pk, **trials}


def test_the_store_carries_tags_notes_and_commits(compare, group):
    """load_group puts each experiment's and trial's tags, note, commit and dirty flag in
    the page's store."""
    stored = compare.load_group("g", 0, 0)[0]
    experiments = {e["id"]: e for e in stored["experiments"]}
    assert (experiments[group["b"]]["tags"], experiments[group["b"]]["note"]) == (
        ["baseline"],
        "b's note",
    )
    trials = {t["id"]: t for e in stored["experiments"] for t in e["trials"]}
    assert trials[group["a1"]]["tags"] == ["best"]
    assert (trials[group["b1"]]["commit"], trials[group["b1"]]["dirty"]) == ("3" * 40, True)
    assert trials[group["a0"]]["dirty"] is False


def test_warning_names_the_setting_with_mixed_code(compare, group):
    """Only setting b is named: two commits, one of two trials dirty."""
    stored = compare.load_group("g", 0, 0)[0]
    options, warning = compare.show_provenance(stored)
    assert options == ["baseline", "best"]
    text = to_json_plotly(warning)
    assert f"m #{group['b']}" in text and f"m #{group['a']}" not in text
    assert "ran 2 different commits (2222222222, 3333333333)" in text
    assert "1 of 2 trials ran from a dirty tree" in text


def test_no_warning_when_every_setting_ran_one_clean_commit(compare):
    """Trials without a run context, or with one clean commit per setting: no warning."""
    e = experiment_get_or_create(group="clean", identifier="m", n_trials=2)
    for worker in ("w1", "w2"):
        trial = trial_acquire(experiment_id=e.pk, worker=worker)
        trial_context_record(trial_id=trial.pk, context=_git("9" * 40), packages=[])
    trial_acquire(experiment_id=experiment_get_or_create(group="clean", identifier="x").pk,
                  worker="w3")  # fmt: skip
    stored = compare.load_group("clean", 0, 0)[0]
    assert compare.show_provenance(stored) == ([], None)


def test_tag_filter_narrows_both_grids(compare, group):
    """A tag keeps the experiments carrying it or having a trial that does, and the
    trials carrying it or whose experiment does; Tags and Commit columns are shown."""
    stored = compare.load_group("g", 0, 0)[0]
    rows, columns, *_ = compare.show_experiments(stored, None, None, None, None)
    assert {r["id"] for r in rows} == {group["a"], group["b"]}
    fields = [c.get("field") for c in columns]
    assert fields[fields.index("id") + 1 : fields.index("id") + 3] == ["tags", "commit"]
    by_id = {r["id"]: r for r in rows}
    assert by_id[group["a"]]["commit"] == "1111111111"
    assert by_id[group["b"]]["commit"] == "⚠ 2 commits +dirty"
    assert by_id[group["a"]]["tags"] == "best"
    rows, *_ = compare.show_experiments(stored, None, None, None, "best")
    assert [r["id"] for r in rows] == [group["a"]]
    grid = compare.trial_grid(None, stored, "baseline")
    trial_rows, trial_columns = grid["rowData"], grid["columnDefs"]
    assert {r["id"] for r in trial_rows} == {group["b0"], group["b1"]}
    assert {r["id"]: r["commit"] for r in trial_rows} == {
        group["b0"]: "2222222222",
        group["b1"]: "3333333333 +dirty",
    }
    assert "tags" in [c.get("field") for c in trial_columns]
    rows = compare.trial_grid(None, stored, "best")["rowData"]
    assert [(r["id"], r["tags"]) for r in rows] == [(group["a1"], "best")]
