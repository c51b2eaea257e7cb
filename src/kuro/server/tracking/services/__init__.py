"""Writes. Every function is keyword-only and typed, named ``<entity>_<action>``."""

from kuro.server.tracking.services.contexts import (
    package_set_get_or_create,
    trial_context_record,
)
from kuro.server.tracking.services.experiments import (
    experiment_get_or_create,
    group_get_or_create,
    metric_get_or_create,
)
from kuro.server.tracking.services.points import PointSeries, points_ingest
from kuro.server.tracking.services.trials import trial_acquire, trial_end, trial_heartbeat
from kuro.server.tracking.services.workers import worker_register

__all__ = [
    "PointSeries",
    "experiment_get_or_create",
    "group_get_or_create",
    "metric_get_or_create",
    "package_set_get_or_create",
    "points_ingest",
    "trial_acquire",
    "trial_context_record",
    "trial_end",
    "trial_heartbeat",
    "worker_register",
]
