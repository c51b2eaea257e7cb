"""Trial statuses and the moves between them, as the server enforces them.

    queued ──claim──▶ running ──end──▶ complete | failed | pruned
                         │
                         └──lease expires──▶ lost (its slot freed; queued work is queued
                                                   again as the next attempt, within its
                                                   retry budget)

Every running trial holds a lease that its client's heartbeats renew.

>>> can_move("running", "complete"), can_move("complete", "running")
(True, False)
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ACTIVE",
    "ENDED",
    "END_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "Status",
    "can_move",
]

Status = Literal["queued", "running", "complete", "failed", "pruned", "lost"]
# In the order people read them (tables, `kuro queue status`).
STATUSES: tuple[Status, ...] = ("queued", "running", "complete", "failed", "pruned", "lost")
# How a client may end a trial.
END_STATUSES: tuple[Status, ...] = ("complete", "failed", "pruned")
# A trial that still holds one of its experiment's slots and may still change.
ACTIVE: frozenset[Status] = frozenset({"queued", "running"})
# A trial that takes no more points.
ENDED: frozenset[Status] = frozenset({"complete", "failed", "pruned", "lost"})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    "queued": frozenset({"running", "failed"}),
    "running": frozenset({"complete", "failed", "pruned", "lost"}),
    "complete": frozenset(),
    "failed": frozenset(),
    "pruned": frozenset(),
    "lost": frozenset(),
}


def can_move(current: Status, new: Status) -> bool:
    """Whether a trial in ``current`` may move to ``new``."""
    return new in TRANSITIONS[current]
