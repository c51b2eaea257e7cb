"""Django's PostgreSQL backend, whose health check asks the socket before the server.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before its first query of each
request (``close_if_health_check_failed``) with a ``SELECT 1``: a round trip on every
request, a tenth of a one-point ``POST /points``. A server that goes away (a restart, a
stop, a backend terminated) tells its clients so: it sends its last message and closes the
connection, so the socket of an idle connection turns readable. An idle connection whose
socket has nothing to read is as usable as a ``SELECT 1`` would find it; one that has
something (that end, or a notification) still gets the ``SELECT 1``, and Django reconnects
when it fails, as before: a database restart costs no request an error. (A server that
vanished without a word, its host cut off, is found by neither check before the query:
``SELECT 1`` would wait for the network's timeout as the query does.)
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _quiet(connection: Any) -> bool:
    """Whether ``connection`` is open, idle and its server has sent nothing since its last
    answer. False whenever that cannot be told: the ``SELECT 1`` decides then."""
    poll = getattr(select, "poll", None)
    if poll is None or connection.closed or connection.info.transaction_status.name != "IDLE":
        return False
    try:
        poller = poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False
