"""Services and selectors of tags and notes: checks before writes, idempotence, group
reads, code versions from the run context, and the admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from kuro.core.errors import InvalidInput, NotFound
from kuro.server.annotations import selectors, services
from kuro.server.annotations.models import ExperimentNote, ExperimentTag, TrialNote, TrialTag
from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import (
    experiment_get_or_create,
    trial_acquire,
    trial_context_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial() -> Trial:
    experiment = experiment_get_or_create(group="g", identifier="m", n_trials=3)
    return trial_acquire(experiment_id=experiment.pk, worker="w")


def test_nothing_is_written_when_one_input_is_bad(trial):
    """A bad tag after a good removal: the removal does not happen either."""
    services.tag_add(kind="trial", ident=trial.pk, tags=["keep"])
    with pytest.raises(InvalidInput) as caught:
        services.annotation_update(kind="trial", ident=trial.pk, remove=["keep"], add=["a b"])
    assert caught.value.detail == {"field": "add[0]"}
    assert selectors.annotation_detail(kind="trial", ident=trial.pk)["tags"] == ["keep"]


def test_wrappers_are_idempotent(trial):
    """tag_add, tag_remove and note_set twice leave what once leaves."""
    for _ in range(2):
        services.tag_add(kind="experiment", ident=trial.experiment_id, tags=["a", "a", "b"])
        services.tag_remove(kind="experiment", ident=trial.experiment_id, tags=["b", "c"])
        services.note_set(kind="experiment", ident=trial.experiment_id, note="n")
    assert ExperimentTag.objects.count() == 1 and ExperimentNote.objects.count() == 1
    assert selectors.annotation_detail(kind="experiment", ident=trial.experiment_id) == {
        "tags": ["a"],
        "note": "n",
    }


def test_unknown_kind_and_object(trial):
    """A kind other than experiment or trial, or a missing id, names the field."""
    with pytest.raises(InvalidInput) as caught:
        services.tag_add(kind="group", ident=1, tags=["a"])
    assert caught.value.detail == {"field": "kind"}
    with pytest.raises(NotFound) as missing:
        selectors.annotation_detail(kind="trial", ident=trial.pk + 1000)
    assert missing.value.detail == {"field": "trial_id"}


def test_tags_and_notes_go_with_their_trial(trial):
    """Deleting a trial deletes its tags and note."""
    services.annotation_update(kind="trial", ident=trial.pk, add=["x"], note="n")
    Trial.objects.filter(pk=trial.pk).delete()
    assert not TrialTag.objects.exists() and not TrialNote.objects.exists()


def test_trial_code_reads_commit_and_dirty_from_the_context(trial):
    """Commit (even all digits) and dirty as stored; None without a git context."""
    other = trial_acquire(experiment_id=trial.experiment_id, worker="w2")
    third = trial_acquire(experiment_id=trial.experiment_id, worker="w3")
    git = {"commit": "1" * 40, "dirty": True, "branch": "", "diff": ""}
    trial_context_record(trial_id=trial.pk, context={"git": git}, packages=[])
    trial_context_record(trial_id=other.pk, context={"git": None}, packages=[])
    assert selectors.trial_code(trial_ids=[trial.pk, other.pk, third.pk]) == {
        trial.pk: {"commit": "1" * 40, "dirty": True},
        other.pk: {"commit": None, "dirty": None},
        third.pk: {"commit": None, "dirty": None},
    }


def test_group_annotations_ignore_other_groups(trial):
    """A group's read holds only its own experiments and trials."""
    elsewhere = experiment_get_or_create(group="other", identifier="m")
    services.tag_add(kind="experiment", ident=elsewhere.pk, tags=["x"])
    services.tag_add(kind="trial", ident=trial.pk, tags=["y"])
    found = selectors.group_annotations(group="g")
    assert found == {"experiments": {}, "trials": {trial.pk: {"tags": ["y"], "note": ""}}}


MODELS = [ExperimentTag, TrialTag, ExperimentNote, TrialNote]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_lists_searches_and_opens(admin_client, trial, model):
    """Every model is in the admin; its list, a search and an object's page load."""
    services.annotation_update(kind="trial", ident=trial.pk, add=["t"], note="n")
    services.annotation_update(kind="experiment", ident=trial.experiment_id, add=["e"], note="n")
    assert admin.site.is_registered(model)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "n"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200
