"""Metric modes: given, inferred from the name, fixed per group."""

from __future__ import annotations

import pytest

from kuro.core.errors import ModeConflict, ModeRequired
from kuro.server.tracking.services import group_get_or_create, metric_get_or_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "mode"), [("test_acc", "max"), ("Accuracy", "max"), ("val_loss", "min")]
)
def test_mode_is_inferred_from_name(name, mode):
    """acc means max, loss means min."""
    group = group_get_or_create(name="g")
    assert metric_get_or_create(group=group, name=name).mode == mode


def test_unknown_name_without_mode_is_a_clear_error():
    """A new metric whose mode cannot be inferred asks for one."""
    group = group_get_or_create(name="g")
    with pytest.raises(ModeRequired, match="mode='max' or mode='min'"):
        metric_get_or_create(group=group, name="optimality")


def test_existing_metric_needs_no_mode():
    """Once created, a metric is found by name alone."""
    group = group_get_or_create(name="g")
    metric_get_or_create(group=group, name="optimality", mode="min")
    assert metric_get_or_create(group=group, name="optimality").mode == "min"


def test_other_mode_is_a_conflict_naming_both():
    """Asking for the other mode names the fixed one and the requested one."""
    group = group_get_or_create(name="g")
    metric_get_or_create(group=group, name="test_acc")
    with pytest.raises(ModeConflict) as info:
        metric_get_or_create(group=group, name="test_acc", mode="min")
    assert "'max'" in info.value.message and "'min'" in info.value.message
    assert info.value.detail["mode"] == "max"


def test_mode_is_per_group():
    """Another group may fix another mode for the same name."""
    a = metric_get_or_create(group=group_get_or_create(name="a"), name="score", mode="max")
    b = metric_get_or_create(group=group_get_or_create(name="b"), name="score", mode="min")
    assert (a.mode, b.mode) == ("max", "min")
