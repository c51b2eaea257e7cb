"""An experiment: one hyper-parameter setting of an identifier in a group, and its trials."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kuro.client._spool import Op, local_ref, path_to
from kuro.client._transport import dumps
from kuro.client._trial import Trial
from kuro.core.errors import TransportError
from kuro.core.limits import check_name
from kuro.core.modes import check_mode, check_same_mode, resolve_mode

if TYPE_CHECKING:
    from kuro.client._worker import Worker

__all__ = ["Experiment"]


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
        key: int | str,
        modes: dict[str, str],
        n_started: int = 0,
    ) -> None:
        self.worker = worker
        self.group: str = body["group"]
        self.identifier: str = body["identifier"]
        self.hyper_parameters: dict[str, Any] = body["hyper_parameters"]
        self.n_trials: int = body["n_trials"]
        self._key = key
        self._modes = modes
        self._n_started = n_started  # trials of this experiment the client knows exist
        self._running: Trial | None = None

    @property
    def id(self) -> int | None:
        """The server's id; None while the experiment was made offline and not yet synced."""
        key = self._key
        return self.worker._sender.spool.refs.get(key) if isinstance(key, str) else key

    def trial(self) -> Trial | None:
        """This worker's unfinished trial of the experiment, else a new one while fewer than
        ``n_trials`` exist, else None."""
        if self._running is not None:
            return self._running
        ident = self.id
        worker = self.worker
        # Whatever was reported before (an earlier trial's end above all) must reach the
        # server first, or it would resume the trial that just ended.
        if (
            ident is None
            or not worker._reachable()
            or not worker._sender.flush(worker.flush_timeout)
        ):
            return self._local_trial()
        try:
            data = self._agent_trial(ident)
            if data is None:
                answer = worker._call(
                    "POST", f"/experiments/{ident}/trials", {"worker": worker.name}
                )
                data = answer["trial"]
        except TransportError:
            return self._local_trial()
        if data is None:
            self._n_started = max(self._n_started, self.n_trials)
            return None
        return self.adopt(data)

    def _agent_trial(self, ident: int) -> dict[str, Any] | None:
        """The trial ``kuro agent`` claimed for this process (``KURO_TRIAL_ID``), when it
        is a running trial of this experiment: training code written with the original API
        then runs the agent's trial instead of starting another."""
        claimed = os.environ.get("KURO_TRIAL_ID")
        if not claimed or not claimed.isdigit():
            return None
        data = self.worker._call("GET", f"/trials/{claimed}", None)
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
        key = self._key
        path = path_to("/experiments/{}/trials", key)
        body = dumps({"worker": self.worker.name, "extra": True})
        self.worker._sender.put(
            Op("trial", "POST", path, body, refs=isinstance(key, str), defines=ref)
        )
        self._running = Trial(self, ref)
        return self._running

    def _ended(self, trial: Trial) -> None:
        if self._running is trial:
            self._running = None

    def _check_metric(self, name: str, mode: str | None) -> None:
        """Raise at the call site for a bad name or mode; register a new metric once."""
        check_name(name, "name")
        check_mode(mode)
        known = self._modes.get(name)
        if known is not None:
            check_same_mode(name, known, mode, group=self.group)
            return
        body = {"group": self.group, "name": name, "mode": mode}
        try:
            answer = self.worker._call("POST", "/metrics", body, once=True)
        except TransportError:
            resolved = resolve_mode(name, mode, group=self.group)
            body["mode"] = resolved
            self.worker._sender.put(Op("metric", "POST", "/metrics", dumps(body)))
            self._modes[name] = resolved
        else:
            self._modes[name] = answer["mode"]

    def __repr__(self) -> str:
        return f"<Experiment {self.id or self._key} {self.group}/{self.identifier}>"
