"""Reads of the queue and sweeps, keyword-only and typed: counts by status, sweep progress
and best configuration, pruning verdicts, parameter importance. Selectors never import
services; what both need to score a configuration is in ``queue.scoring``."""

from kuro.server.queue.selectors.pruning import prune_candidates_query, prune_flags
from kuro.server.queue.selectors.queue import queue_status
from kuro.server.queue.selectors.sweeps import sweep_detail, sweep_importance, sweep_list

__all__ = [
    "prune_candidates_query",
    "prune_flags",
    "queue_status",
    "sweep_detail",
    "sweep_importance",
    "sweep_list",
]
