"""What the write path has seen committed and that never changes, kept per server process so
that a batch need not read it again: each trial's experiment and group, each metric's id
and mode by (group, name), and which experiments are linked to which metrics.

On PostgreSQL every statement of a batch's reads costs the database a few tenths of a
millisecond whatever it reads (``docs/storage.md``): a batch whose trials, metrics and links
are all known here sends two statements fewer (the metrics and the links). The facts are
learned only once the transaction that read them has committed (``transaction.on_commit``),
never from a batch rolled back, and a batch checks its trials' experiment and group against
the rows it locks: a trial known here but found in another experiment or group (a database
put back from a dump, say) makes the batch read its metrics and links after all.

PostgreSQL only: its ids come from sequences and are never given twice, so a fact about an
id stays true while the row lives; SQLite may give the id of a deleted row again (and costs
no round trip anyway). Rows deleted while the server runs (a group, with its trials and
metrics) are not looked up again: their trials are gone, so a batch naming them is refused
before the cache is used. The cache is emptied when a batch fails in the database, when it
grows past ``LIMIT`` facts, and when a new connection finds another database under the same
name (its ``pg_database`` oid: dropped and made again, restored from a dump).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

__all__ = ["Known", "known"]

LIMIT = 100_000  # facts of each kind, at most: then everything is forgotten and learned again


class Known:
    """Facts about trials, metrics and links, one set per process. Shared by the process's
    threads or greenlets: every method reads or writes the dicts in single operations, and
    none waits for anything in between."""

    def __init__(self) -> None:
        self.database: int | None = None  # the oid of the database the facts are about
        self.trials: dict[int, tuple[int, int]] = {}  # trial id -> (experiment id, group id)
        self.metrics: dict[tuple[int, str], tuple[int, str]] = {}  # (group, name) -> (id, mode)
        self.links: set[tuple[int, int]] = set()  # (experiment id, metric id)

    def clear(self) -> None:
        self.trials.clear()
        self.metrics.clear()
        self.links.clear()

    def resolve(self, pairs: Iterable[tuple[int, str]]) -> tuple[list[tuple], list[tuple]] | None:
        """For the (trial id, metric name) pairs of a batch, the rows that the metrics and
        links queries of ``points_ingest`` would read (metric id, group id, name, mode;
        experiment id, metric id), if every one is known; else None."""
        if connection.vendor != "postgresql":
            return None
        metrics: dict[int, tuple] = {}
        links = set()
        for trial_id, name in pairs:
            owner = self.trials.get(trial_id)
            if owner is None:
                return None
            experiment_id, group_id = owner
            metric = self.metrics.get((group_id, name))
            if metric is None or (experiment_id, metric[0]) not in self.links:
                return None
            metrics[metric[0]] = (metric[0], group_id, name, metric[1])
            links.add((experiment_id, metric[0]))
        return list(metrics.values()), sorted(links)

    def agrees(self, trials: Sequence[tuple]) -> bool:
        """Whether the locked trials' rows (id, experiment id, group id, ...) are as known."""
        return all(self.trials.get(row[0]) == (row[1], row[2]) for row in trials)

    def learn(
        self, trials: Sequence[tuple], metrics: Sequence[tuple], links: Sequence[tuple]
    ) -> None:
        """Keep the rows of a committed batch's reads: its locked trials (id, experiment id,
        group id, ...), its metrics (id, group id, name, mode) and links (experiment id,
        metric id)."""
        if connection.vendor != "postgresql":
            return
        if max(len(self.trials), len(self.metrics), len(self.links)) > LIMIT:
            self.clear()
        for row in trials:
            self.trials[row[0]] = (row[1], row[2])
        for pk, group_id, name, mode in metrics:
            self.metrics[(group_id, name)] = (pk, mode)
        self.links.update((e, m) for e, m in links)


known = Known()


def _connected(sender: object, connection: BaseDatabaseWrapper, **_: object) -> None:
    """A new connection: forget everything if it is to another database than the facts'."""
    if connection.vendor != "postgresql" or connection.alias != DEFAULT_DB_ALIAS:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        oid = cursor.fetchone()[0]
    if oid != known.database:
        known.clear()
        known.database = oid


connection_created.connect(_connected, dispatch_uid="kuro.tracking.known")
