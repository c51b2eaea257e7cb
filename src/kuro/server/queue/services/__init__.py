"""Writes of the queue and sweeps, keyword-only and typed, named ``<entity>_<action>``."""

from kuro.server.queue.services.claim import work_claim
from kuro.server.queue.services.enqueue import grid_expand, work_enqueue
from kuro.server.queue.services.leases import leases_reap, leases_reap_if_due
from kuro.server.queue.services.requeue import trial_end_requeued, trial_requeue
from kuro.server.queue.services.sweeps import sweep_ask, sweep_create, sweep_reconcile

__all__ = [
    "grid_expand",
    "leases_reap",
    "leases_reap_if_due",
    "sweep_ask",
    "sweep_create",
    "sweep_reconcile",
    "trial_end_requeued",
    "trial_requeue",
    "work_claim",
    "work_enqueue",
]
