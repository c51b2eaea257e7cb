"""Experiments are get-or-create by (group, identifier, canonical hyper-parameters)."""

from __future__ import annotations

import pytest

from kuro.core.errors import InvalidInput
from kuro.server.tracking.models import Experiment
from kuro.server.tracking.services import experiment_get_or_create

pytestmark = pytest.mark.django_db


def test_same_setting_is_one_experiment():
    """Key order and 1 vs 1.0 do not make a new experiment."""
    a = experiment_get_or_create(group="g", identifier="m", hyper_parameters={"a": 1, "b": 2.0})
    b = experiment_get_or_create(group="g", identifier="m", hyper_parameters={"b": 2, "a": 1.0})
    assert a.pk == b.pk
    assert Experiment.objects.count() == 1


def test_other_identifier_or_group_is_another_experiment():
    """The identifier and the group are part of the key."""
    a = experiment_get_or_create(group="g", identifier="m", hyper_parameters={"a": 1})
    b = experiment_get_or_create(group="g", identifier="n", hyper_parameters={"a": 1})
    c = experiment_get_or_create(group="h", identifier="m", hyper_parameters={"a": 1})
    assert len({a.pk, b.pk, c.pk}) == 3


def test_n_trials_may_grow_but_never_shrink():
    """A later call raises n_trials; a smaller one leaves it."""
    experiment_get_or_create(group="g", identifier="m", n_trials=3)
    assert experiment_get_or_create(group="g", identifier="m", n_trials=5).n_trials == 5
    assert experiment_get_or_create(group="g", identifier="m", n_trials=2).n_trials == 5


def test_metrics_are_attached():
    """Metrics named at creation, and later ones, belong to the experiment."""
    e = experiment_get_or_create(group="g", identifier="m", metrics=[("test_acc", None)])
    experiment_get_or_create(group="g", identifier="m", metrics=[("optimality", "min")])
    assert sorted(e.metrics.values_list("name", "mode")) == [
        ("optimality", "min"),
        ("test_acc", "max"),
    ]


def test_nested_hyper_parameters_round_trip():
    """Nested objects and lists are stored as given."""
    hp = {"opt": {"name": "adam", "betas": [0.9, 0.999]}, "layers": [64, 64]}
    e = experiment_get_or_create(group="g", identifier="m", hyper_parameters=hp)
    e.refresh_from_db()
    assert e.hyper_parameters == hp


def test_zero_trials_is_invalid():
    """n_trials is at least 1."""
    with pytest.raises(InvalidInput) as info:
        experiment_get_or_create(group="g", identifier="m", n_trials=0)
    assert info.value.field == "n_trials"
