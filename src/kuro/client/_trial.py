"""A trial: one run of an experiment, and the hot path of the client, ``report_metric``."""

from __future__ import annotations

import numbers
import time
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kuro.client._annotations import Annotations, Tags
from kuro.client._config import agent_trial, agent_worker
from kuro.client._context import run_context_body
from kuro.client._session import process_worker
from kuro.client._spool import Key
from kuro.core.errors import Conflict, InvalidInput
from kuro.core.limits import ERROR_TEXT_MAX, STEP_MAX, STEP_MIN, check_step
from kuro.core.statuses import END_STATUSES

if TYPE_CHECKING:
    from kuro.client._experiment import Experiment

__all__ = ["Trial"]


def _real(value: Any) -> float:
    """``value`` as a float, or ``InvalidInput`` when it is not a real number.

    Floats pass through the caller's fast path; ints, fractions and NumPy scalars convert,
    as do objects with ``__float__`` (0-d arrays, tensors). NaN and infinities are kept."""
    if not isinstance(value, (bool, str, bytes, complex)) and (
        isinstance(value, numbers.Real) or hasattr(type(value), "__float__")
    ):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            pass
    raise InvalidInput(
        f"a metric value is a real number, not {type(value).__name__} {value!r:.60}",
        field="value",
    )


class Trial:
    """One run of an experiment by a worker; made by ``Experiment.trial()``.

    ``report_metric`` validates and enqueues, nothing more: the worker's background thread
    delivers. Use a trial from one thread (the training loop); ``with experiment.trial() as
    trial:`` ends it as complete, or as failed when the block raises.
    """

    def __init__(
        self, experiment: Experiment, key: Key, data: dict[str, Any] | None = None
    ) -> None:
        session = experiment.session
        self.experiment = experiment
        self.hyper_parameters: dict[str, Any] = dict(experiment.hyper_parameters)
        self.number: int | None = data["number"] if data else None
        self.status = "running"
        self._key = key
        self._session = session
        # The hot path's own references: no attribute chain per report.
        self._queue = session.queue
        self._spill = session.spill
        self._max_pending = session.max_pending
        # A resumed trial continues each metric after the last step the server holds.
        summaries = (data or {}).get("summaries") or {}
        self._steps: dict[str, int] = {n: s["last_step"] + 1 for n, s in summaries.items()}
        session.track(key)
        self._annotations = Annotations(session, "trial", key)
        if session.config.capture and not (data or {}).get("context"):
            # An online acquire carries the context (``Experiment._acquire``); a trial
            # without one (made offline, claimed from the queue, or from a server older
            # than that) sends it queued after the acquire, in order: offline and through
            # outages it waits in the spool with the rest. A resumed trial keeps its own.
            session.request("context", "/trials/{}/context", run_context_body(), key=key)

    @property
    def id(self) -> int | None:
        """The server's id of the trial; None while it was made offline and not yet synced."""
        return self._session.resolve(self._key)

    @property
    def url(self) -> str | None:
        """The dashboard's page of this trial (None until it has an id); its JSON is at
        ``/api/v1/trials/<id>``."""
        ident = self.id
        return None if ident is None else f"{self._session.server}/dashboard/trial/{ident}"

    @property
    def tags(self) -> Tags:
        """The trial's tags: ``trial.tags.add("baseline")``, ``trial.tags.remove(...)``,
        ``"baseline" in trial.tags``. Changes are queued, never waited for."""
        return self._annotations.tags

    @property
    def note(self) -> str:
        """The trial's free-text note (``""`` when none); ``trial.note = "..."`` sets it
        (queued, never waited for; ``""`` clears it)."""
        return self._annotations.note

    @note.setter
    def note(self, text: str) -> None:
        self._annotations.note = text

    @property
    def ended(self) -> bool:
        """Whether the trial has ended (it takes no more points)."""
        return self.status != "running"

    def should_prune(self) -> bool:
        """Whether the sweep's pruner says to stop this trial now (then ``end('pruned')``).

        Answered from what the server said at the last delivered report or heartbeat: no
        round trip. Always False outside a sweep with a pruner."""
        return self._session.should_prune(self._key)

    @classmethod
    def current(cls, *, server: str | None = None) -> Trial | None:
        """The trial a ``kuro agent`` started this process for (``KURO_TRIAL_ID``), with its
        worker (``KURO_WORKER``), or None outside an agent. The worker is made once per
        process: calling again is cheap."""
        ident = agent_trial()
        if ident is None:
            return None
        return process_worker(agent_worker(), server).claimed(ident)

    def report_metric(
        self, name: str, value: float, step: int | None = None, mode: str | None = None
    ) -> None:
        """Record ``value`` of metric ``name`` at ``step`` (default: the metric's next step).

        ``mode`` ('max' or 'min') is needed only for a new metric whose name does not imply
        one (``acc``: max, ``loss``: min). Raises ``kuro.InvalidInput`` for a value that is
        not a real number or a bad step, ``kuro.ModeRequired`` and ``kuro.ModeConflict`` for
        modes, ``kuro.Conflict`` once the trial has ended. Never waits on the network.
        """
        if type(value) is not float:
            value = _real(value)
        steps = self._steps
        if mode is not None or name not in steps:
            self._first_use(name, mode)
        if step is None:
            step = steps[name]
        elif type(step) is not int or not STEP_MIN <= step <= STEP_MAX:
            step = check_step(step)
        steps[name] = step + 1
        queue = self._queue
        queue.append((self._key, name, step, value, time.time()))
        if len(queue) > self._max_pending:
            self._spill()  # to the spool rather than grow without bound

    def _first_use(self, name: str, mode: str | None) -> None:
        if self.ended:
            raise Conflict(
                f"trial {self.id or self._key} has ended ({self.status}); it takes no more points",
                detail={"field": "trial", "status": self.status},
            )
        self.experiment.check_metric(name, mode)
        self._steps.setdefault(name, 0)

    def report_metrics(self, values: Mapping[str, float], step: int | None = None) -> None:
        """``report_metric`` for each name and value, at the same ``step`` when given."""
        for name, value in values.items():
            self.report_metric(name, value, step)

    def end(self, status: str = "complete", error: str = "") -> None:
        """End the trial as 'complete', 'failed' (with ``error`` text) or 'pruned'; delivered
        in order after every point reported before it. Ending again the same way does
        nothing."""
        if status not in END_STATUSES:
            raise InvalidInput(
                f"a trial ends as 'complete', 'failed' or 'pruned', not {status!r}",
                field="status",
            )
        if self.ended:
            if status == self.status:
                return
            raise Conflict(f"trial already ended as {self.status!r}", detail={"field": "status"})
        self.status = status
        # The hot path checks only a metric's first use: forgetting every metric makes the
        # next report of any of them a first use, which raises Conflict.
        self._steps.clear()
        # Its output and system samples so far go first, in order before its end.
        self.experiment.worker.telemetry.trial_ending(self._key)
        body = {"status": status, "error": error[-ERROR_TEXT_MAX:]}
        self._session.request("end", "/trials/{}/end", body, key=self._key)
        self._session.untrack(self._key)
        self.experiment.trial_ended(self)

    def __enter__(self) -> Trial:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.ended:
            return
        if exc is None:
            self.end("complete")
        else:
            self.end("failed", "".join(traceback.format_exception(exc_type, exc, tb)))

    def __repr__(self) -> str:
        return f"<Trial {self.id or self._key} of {self.experiment.identifier!r} ({self.status})>"
