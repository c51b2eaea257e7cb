"""Reads. Every function is keyword-only and typed, and returns plain JSON-able data whose
metric values are already in wire form (see ``kuro.core.values``)."""

from kuro.server.tracking.selectors.experiments import (
    experiment_detail,
    group_experiments,
    group_list,
)
from kuro.server.tracking.selectors.export import group_export
from kuro.server.tracking.selectors.history import metric_history
from kuro.server.tracking.selectors.selection import running_trials, selection_export
from kuro.server.tracking.selectors.trials import trial_detail, trial_summaries
from kuro.server.tracking.selectors.workers import worker_detail, worker_list

__all__ = [
    "experiment_detail",
    "group_experiments",
    "group_export",
    "group_list",
    "metric_history",
    "running_trials",
    "selection_export",
    "trial_detail",
    "trial_summaries",
    "worker_detail",
    "worker_list",
]
