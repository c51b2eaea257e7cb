"""Reads. Every function is keyword-only and typed, and returns plain data whose metric
values are floats (NaN as ``math.nan``, infinities as floats; the database's columns store
NaN as NULL, the chunks of series keep every value bit for bit). The API writes them in
wire form at its edge (``kuro.server.wire``)."""

from kuro.server.tracking.selectors.comparison import metric_comparison, metric_comparisons
from kuro.server.tracking.selectors.experiments import (
    experiment_detail,
    group_experiments,
    group_list,
)
from kuro.server.tracking.selectors.export import group_export
from kuro.server.tracking.selectors.history import metric_history
from kuro.server.tracking.selectors.selection import running_trials, selection_export
from kuro.server.tracking.selectors.series import series_at_step, series_points, series_view
from kuro.server.tracking.selectors.trials import (
    trial_check_exists,
    trial_detail,
    trial_summaries,
)
from kuro.server.tracking.selectors.workers import worker_detail, worker_list

__all__ = [
    "experiment_detail",
    "group_experiments",
    "group_export",
    "group_list",
    "metric_comparison",
    "metric_comparisons",
    "metric_history",
    "running_trials",
    "selection_export",
    "series_at_step",
    "series_points",
    "series_view",
    "trial_check_exists",
    "trial_detail",
    "trial_summaries",
    "worker_detail",
    "worker_list",
]
