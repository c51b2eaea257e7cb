"""Queueing work: n_trials queued trials per setting, grids expanded, nothing twice."""

from __future__ import annotations

import pytest

from kuro.core.errors import InvalidInput
from kuro.server.queue.services import grid_expand, work_enqueue
from kuro.server.tracking.models import Trial

pytestmark = pytest.mark.django_db


def test_enqueue_creates_queued_trials_with_leases():
    """Each of n_trials slots is a queued trial with the default lease and retry budget."""
    [experiment], queued = work_enqueue(
        group="g", identifier="m", hyper_parameters={"lr": 0.1}, n_trials=3
    )
    assert queued == 3
    trials = list(experiment.trials.order_by("number"))
    assert [(t.number, t.status, t.worker_id) for t in trials] == [
        (0, "queued", None),
        (1, "queued", None),
        (2, "queued", None),
    ]
    assert {(t.lease_seconds, t.max_retries) for t in trials} == {(120, 2)}


def test_grid_is_expanded_over_fixed_values():
    """A grid of 2 x 3 values makes six settings, each with the fixed hyper-parameters."""
    settings = grid_expand(
        hyper_parameters={"epochs": 5}, grid={"lr": [0.1, 0.01], "bs": [8, 16, 32]}
    )
    assert len(settings) == 6
    assert {"epochs": 5, "lr": 0.01, "bs": 32} in settings


def test_enqueue_twice_queues_nothing_new():
    """The same setting queued again adds no trials; a higher n_trials adds the difference."""
    assert work_enqueue(group="g", identifier="m", n_trials=2)[1] == 2
    assert work_enqueue(group="g", identifier="m", n_trials=2)[1] == 0
    assert Trial.objects.count() == 2
    work_enqueue(group="g", identifier="m", n_trials=3)
    assert sorted(Trial.objects.values_list("number", flat=True)) == [0, 1, 2]


@pytest.mark.parametrize("grid", [{"lr": []}, {"lr": 0.1}])
def test_bad_grid_names_the_field(grid):
    """A grid entry must be a non-empty list."""
    with pytest.raises(InvalidInput) as info:
        work_enqueue(group="g", identifier="m", grid=grid)
    assert info.value.field == "grid.lr"


def test_oversized_grid_is_refused():
    """More than 10,000 combinations is refused, naming the limit."""
    with pytest.raises(InvalidInput) as info:
        grid_expand(hyper_parameters={}, grid={"a": list(range(200)), "b": list(range(200))})
    assert info.value.detail["limit"] == 10_000
