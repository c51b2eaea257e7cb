"""An experiment: one hyper-parameter setting of an identifier in a group, and its trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kuro.client._annotations import Annotations, Tags
from kuro.client._config import agent_trial
from kuro.client._context import run_context
from kuro.client._packages import send_context
from kuro.client._spool import Key, local_ref
from kuro.client._trial import Trial
from kuro.core.errors import InvalidInput, TransportError
from kuro.core.limits import check_name
from kuro.core.modes import Mode, check_mode, check_same_mode, resolve_mode

if TYPE_CHECKING:
    from kuro.client._worker import Worker

__all__ = ["Experiment", "Metrics", "metric_specs"]

Metrics = Sequence[str | tuple[str, str | None]] | Mapping[str, str | None]
"""Metrics named with or without their modes: ``[('test_acc', 'max'), 'test_loss']`` or
``{'test_acc': 'max', 'test_loss': None}``."""


def metric_specs(metrics: Metrics | None) -> list[dict[str, Any]]:
    """``metrics`` as the API's ``[{"name": ..., "mode": ...}]``, each name and mode checked."""
    if metrics is None:
        return []
    items = metrics.items() if isinstance(metrics, Mapping) else metrics
    specs = []
    for i, item in enumerate(items):
        name, mode = (item, None) if isinstance(item, str) else tuple(item)
        field = f"metrics[{i}]"
        specs.append({"name": check_name(name, field), "mode": check_mode(mode, field)})
    return specs


class Experiment:
    """Made by ``Worker.experiment()``; ``trial()`` gives the worker its next trial.

    The metric modes of the group are cached here, so a report never asks the server: a
    metric new to this client is registered once, on first use.
    """

    def __init__(
        self,
        worker: Worker,
        body: dict[str, Any],
        *,
        key: Key,
        modes: dict[str, Mode],
        n_started: int = 0,
    ) -> None:
        self.worker = worker
        self.session = worker.session
        self.group: str = body["group"]
        self.identifier: str = body["identifier"]
        self.hyper_parameters: dict[str, Any] = body["hyper_parameters"]
        self.n_trials: int = body["n_trials"]
        self._key = key
        self._modes = modes
        self._n_started = n_started  # trials of this experiment the client knows exist
        self._running: Trial | None = None
        self._annotations = Annotations(self.session, "experiment", key)

    @property
    def id(self) -> int | None:
        """The server's id; None while the experiment was made offline and not yet synced."""
        return self.session.resolve(self._key)

    @property
    def tags(self) -> Tags:
        """The experiment's tags: ``experiment.tags.add("baseline")``, ``.remove(...)``,
        iterable. Changes are queued, never waited for."""
        return self._annotations.tags

    @property
    def note(self) -> str:
        """The experiment's free-text note (``""`` when none); setting it is queued."""
        return self._annotations.note

    @note.setter
    def note(self, text: str) -> None:
        self._annotations.note = text

    def trial(self) -> Trial | None:
        """This worker's unfinished trial of the experiment, else a new one while fewer than
        ``n_trials`` exist, else None."""
        if self._running is not None:
            return self._running
        ident = self.id
        session = self.session
        # Whatever was reported before (an earlier trial's end above all) must reach the
        # server first, or it would resume the trial that just ended.
        if ident is None or not session.reachable or not session.flush():
            return self._local_trial()
        try:
            data = self._agent_trial(ident)
            if data is None:
                data = self._acquire(ident)
        except TransportError:
            return self._local_trial()
        if data is None:
            self._n_started = max(self._n_started, self.n_trials)
            return None
        return self.adopt(data)

    def _acquire(self, ident: int) -> dict[str, Any] | None:
        """A trial from the server, with the run context in the same request (capture on):
        the next ``trial()`` then waits for no context upload of this one. A server that
        kept no context (an older one) answers none: the trial then sends it apart."""
        session = self.session
        path = f"/experiments/{ident}/trials"
        body = self._acquire_body()

        def acquire(context: dict[str, Any] | None) -> dict[str, Any] | None:
            sent = body if context is None else {**body, "context": context}
            data: dict[str, Any] | None = session.call("POST", path, sent)["trial"]
            return data

        if not session.config.capture:
            return acquire(None)
        try:
            return send_context(
                session.transport.package_sets,
                run_context(),
                acquire,
                lambda data: None if data is None else data.get("context"),
            )
        except InvalidInput:
            # A context this server refuses (its limits are not this client's) must not stop
            # training: the trial starts without it and sends it apart, and a refusal of
            # that is kept in the spool's failed/ like any other.
            return acquire(None)

    def _acquire_body(self) -> dict[str, Any]:
        """Who asks for a trial: the worker, and this process's spool session, so that the
        server resumes a trial only for the process that holds it (or once its holder's
        lease expired), never for another live process with the same worker name; and the
        worker's crashed sessions on this machine, whose trials it resumes at once."""
        session = self.session
        body: dict[str, Any] = {"worker": session.name, "session": session.spool.session}
        if session.predecessors:
            body["resume"] = session.predecessors
        return body

    def _agent_trial(self, ident: int) -> dict[str, Any] | None:
        """The trial ``kuro agent`` claimed for this process (``KURO_TRIAL_ID``), when it
        is a running trial of this experiment: training code written with the original API
        then runs the agent's trial instead of starting another."""
        claimed = agent_trial()
        if claimed is None:
            return None
        data: dict[str, Any] = self.session.call("GET", f"/trials/{claimed}")
        if data["experiment_id"] != ident or data["status"] != "running":
            return None
        return data

    def adopt(self, data: dict[str, Any]) -> Trial:
        """This experiment's running trial ``data``, as the worker's current trial."""
        self._n_started = max(self._n_started, data["number"] + 1)
        self._running = Trial(self, data["id"], data)
        return self._running

    def _local_trial(self) -> Trial | None:
        """A trial made without the server: acquired when the spool is delivered, and kept
        even if the experiment filled up meanwhile (``extra``)."""
        if self._n_started >= self.n_trials:
            return None
        self._n_started += 1
        ref = local_ref("trial")
        body = {**self._acquire_body(), "extra": True}
        path = "/experiments/{}/trials"
        self.session.request("trial", path, body, key=self._key, defines=ref)
        self._running = Trial(self, ref)
        return self._running

    def trial_ended(self, trial: Trial) -> None:
        """``trial`` has ended: the next ``trial()`` starts another."""
        if self._running is trial:
            self._running = None

    def check_metric(self, name: str, mode: str | None) -> None:
        """Raise at the call site for a bad name or mode; register a new metric once."""
        check_name(name, "name")
        checked = check_mode(mode)
        known = self._modes.get(name)
        if known is not None:
            check_same_mode(name, known, checked, group=self.group)
            return
        body = {"group": self.group, "name": name, "mode": checked}
        try:
            answer = self.session.call("POST", "/metrics", body, once=True)
        except TransportError:
            resolved = resolve_mode(name, checked, group=self.group)
            self.session.request("metric", "/metrics", {**body, "mode": resolved})
            self._modes[name] = resolved
        else:
            self._modes[name] = answer["mode"]

    def __repr__(self) -> str:
        return f"<Experiment {self.id or self._key} {self.group}/{self.identifier}>"
