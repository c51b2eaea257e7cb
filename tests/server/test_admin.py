"""The Django admin lists, filters and searches every model."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from kuro.server.accounts.services import token_create
from kuro.server.queue.services import sweep_create, work_claim, work_enqueue
from kuro.server.tracking.services import PointSeries, points_ingest, trial_context_record

pytestmark = pytest.mark.django_db

KURO_APPS = ("tracking", "queue", "accounts")


def test_every_kuro_model_is_registered():
    """No Kuro model is missing from the admin."""
    models = [m for m in apps.get_models() if m._meta.app_label in KURO_APPS]
    assert models and all(admin.site.is_registered(m) for m in models)


@pytest.mark.parametrize(
    "model",
    [m for m in apps.get_models() if m._meta.app_label in KURO_APPS],
    ids=lambda m: m._meta.label,
)
def test_changelist_search_and_change_pages_load(admin_client, model):
    """Each list page loads with data, with a search, and each object's page opens."""
    work_enqueue(group="g", identifier="m", metrics=[("loss", None)])
    trial = work_claim(worker="w")
    points_ingest(
        series=[PointSeries(trial_id=trial.pk, metric="loss", steps=[0], values=[1.0])],
        batch_id="b",
    )
    sweep = sweep_create(
        group="g",
        identifier="s",
        objective="loss",
        max_configs=1,
        space={"x": {"type": "float", "low": 0, "high": 1}},
    )
    work_claim(worker="w", sweep_id=sweep.pk)
    token_create(name="t")
    trial_context_record(trial_id=trial.pk, context={"argv": ["g.py"]}, packages=["g==1"])
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "g"}).status_code == 200
    obj = model.objects.first()
    assert obj is not None
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200
