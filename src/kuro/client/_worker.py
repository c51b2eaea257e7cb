"""The worker: the entry point of training code, and the owner of the client's machinery
(transport, spool, background sender)."""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from kuro.client._experiment import Experiment
from kuro.client._retry import Retry
from kuro.client._sender import Sender
from kuro.client._spool import Op, Spool, local_ref
from kuro.client._system import system_info
from kuro.client._transport import HttpTransport, Transport, dumps
from kuro.client._trial import Trial
from kuro.core.errors import InvalidInput, TransportError
from kuro.core.limits import IDENTIFIER_MAX, check_name, check_text
from kuro.core.modes import check_mode, resolve_mode

__all__ = ["DEFAULT_SERVER", "Worker", "server_url"]

DEFAULT_SERVER = "http://localhost:8000"

Metrics = Sequence[str | tuple[str, str | None]] | Mapping[str, str | None]


def server_url(server: str | None = None) -> str:
    """``server``, else ``KURO_SERVER``, else http://localhost:8000."""
    return (server or os.environ.get("KURO_SERVER") or DEFAULT_SERVER).rstrip("/")


def _env_number(name: str, default: float, cast: type = float) -> Any:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        return cast(text)
    except ValueError:
        raise InvalidInput(f"{name} is a number, not {text!r}", field=name) from None


def _metric_specs(metrics: Metrics | None) -> list[dict[str, Any]]:
    if metrics is None:
        return []
    items = metrics.items() if isinstance(metrics, Mapping) else metrics
    specs = []
    for i, item in enumerate(items):
        name, mode = (item, None) if isinstance(item, str) else tuple(item)
        field = f"metrics[{i}]"
        specs.append({"name": check_name(name, field), "mode": check_mode(mode, field)})
    return specs


class Worker:
    """A machine (or process) that runs trials, known to the server by ``name``.

    ``server`` defaults to ``KURO_SERVER``, else http://localhost:8000. Keyword options
    default to environment variables: ``mode`` (``KURO_MODE``: 'online' or 'offline'),
    ``spool_dir`` (``KURO_SPOOL_DIR``, else ~/.kuro/spool), ``flush_timeout`` (seconds
    spent delivering at exit, ``KURO_FLUSH_TIMEOUT``, 10), ``max_pending`` (points kept
    in memory before spilling to the spool, ``KURO_MAX_PENDING``, 500,000), ``heartbeat``
    (seconds between heartbeats of a running trial, ``KURO_HEARTBEAT``, 30), ``token``
    (the API token, ``KURO_TOKEN``). ``transport`` is an ``httpx`` transport (tests) or a
    ``kuro`` ``Transport``.
    """

    def __init__(
        self,
        name: str,
        server: str | None = None,
        *,
        mode: str | None = None,
        spool_dir: str | Path | None = None,
        flush_timeout: float | None = None,
        max_pending: int | None = None,
        heartbeat: float | None = None,
        batch_size: int = 20_000,
        batch_delay: float = 0.1,
        token: str | None = None,
        transport: httpx.BaseTransport | Transport | None = None,
    ) -> None:
        self.name = check_name(name, "name")
        self.server = server_url(server)
        mode = mode or os.environ.get("KURO_MODE") or "online"
        if mode not in ("online", "offline"):
            raise InvalidInput(f"mode is 'online' or 'offline', not {mode!r}", field="mode")
        self.offline = mode == "offline"
        self.flush_timeout = (
            flush_timeout if flush_timeout is not None else _env_number("KURO_FLUSH_TIMEOUT", 10.0)
        )
        self.max_pending = (
            max_pending
            if max_pending is not None
            else _env_number("KURO_MAX_PENDING", 500_000, int)
        )
        heartbeat = heartbeat if heartbeat is not None else _env_number("KURO_HEARTBEAT", 30.0)
        self._transport = (
            transport
            if isinstance(transport, Transport)
            else HttpTransport(self.server, transport=transport, token=token)
        )
        self._retry = Retry(attempts=3, timeout=10.0, wait_initial=0.2, wait_max=2.0)
        spool = Spool(
            Path(spool_dir) if spool_dir is not None else None,
            meta={"server": self.server, "mode": mode, "worker": self.name},
        )
        self._sender = Sender(
            self._transport,
            spool,
            offline=self.offline,
            batch_size=min(batch_size, 50_000),
            batch_delay=batch_delay,
            heartbeat=heartbeat,
        )
        self._sender.put(Op("worker", "POST", "/workers", dumps({"name": name, **system_info()})))
        self._sender.start()
        atexit.register(self.close)

    @property
    def spool_path(self) -> Path:
        """This worker's session directory in the spool."""
        return self._sender.spool.path

    def experiment(
        self,
        group: str,
        identifier: str,
        metrics: Metrics | None = None,
        hyper_parameters: dict[str, Any] | None = None,
        n_trials: int = 1,
    ) -> Experiment:
        """The experiment of this setting, created on first use.

        ``metrics`` names the metrics, each with or without a mode: ``[('test_acc', 'max'),
        'test_loss']`` or ``{'test_acc': 'max', 'test_loss': None}``.
        """
        hyper_parameters = {} if hyper_parameters is None else hyper_parameters
        if not isinstance(hyper_parameters, dict):
            raise InvalidInput("hyper_parameters is a dict", field="hyper_parameters")
        try:
            json.dumps(hyper_parameters, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"hyper_parameters must be plain JSON: {exc}", field="hyper_parameters"
            ) from None
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise InvalidInput(f"n_trials is an integer >= 1, not {n_trials!r}", field="n_trials")
        body = {
            "group": check_name(group, "group"),
            "identifier": check_text(identifier, "identifier", IDENTIFIER_MAX),
            "hyper_parameters": hyper_parameters,
            "n_trials": n_trials,
            "metrics": _metric_specs(metrics),
        }
        try:
            answer = self._call("POST", "/experiments", body)
        except TransportError:
            pass
        else:
            return Experiment(
                self,
                body,
                key=answer["id"],
                modes=dict(answer["metric_modes"]),
                n_started=answer["n_trials_started"],
            )
        modes = {
            spec["name"]: resolve_mode(
                spec["name"], spec["mode"], group=body["group"], field=f"metrics[{i}]"
            )
            for i, spec in enumerate(body["metrics"])
        }
        ref = local_ref("experiment")
        self._sender.put(Op("experiment", "POST", "/experiments", dumps(body), defines=ref))
        return Experiment(self, body, key=ref, modes=modes)

    # The work queue -----------------------------------------------------------------------

    def request_work(self, group: str | None = None, sweep: int | None = None) -> Trial | None:
        """The next queued trial (of ``group``, or of ``sweep``), now running for this worker
        under a lease that its heartbeats renew; None when there is no work left. Needs the
        server: raises ``kuro.TransportError`` when it cannot be reached."""
        if self.offline:
            raise TransportError("request_work needs the server; this worker is offline")
        self._sender.flush(self.flush_timeout)  # an earlier trial's end goes first
        body = {"worker": self.name, "group": group, "sweep": sweep}
        answer = self._call("POST", "/work", {k: v for k, v in body.items() if v is not None})
        data = answer["trial"]
        return None if data is None else self._adopt(data)

    def work(
        self, group: str | None = None, sweep: int | None = None, count: int | None = None
    ) -> Iterator[Trial]:
        """``for trial in worker.work(sweep=ID): ...``: queued trials one after another, at
        most ``count``. A trial the loop body did not end is ended as complete when the loop
        asks for the next one; leaving the loop early (``break``, an exception) ends the
        current trial as failed unless the body ended it."""
        done = 0
        while count is None or done < count:
            trial = self.request_work(group=group, sweep=sweep)
            if trial is None:
                return
            try:
                yield trial
            except GeneratorExit:
                if not trial.ended:
                    trial.end("failed", "the work loop stopped before this trial was ended")
                raise
            if not trial.ended:
                trial.end("complete")
            done += 1

    def claimed(self, trial_id: int) -> Trial:
        """A trial already running for this worker (claimed by ``kuro agent``), by id."""
        return self._adopt(self._call("GET", f"/trials/{trial_id}", None))

    def _adopt(self, data: dict[str, Any]) -> Trial:
        """A Trial object for a trial the server handed to this worker."""
        detail = self._call("GET", f"/experiments/{data['experiment_id']}", None)
        body = {
            "group": detail["group"],
            "identifier": detail["identifier"],
            "hyper_parameters": detail["hyper_parameters"],
            "n_trials": detail["n_trials"],
        }
        experiment = Experiment(
            self,
            body,
            key=detail["id"],
            modes=dict(detail["metric_modes"]),
            n_started=detail["n_trials_started"],
        )
        return experiment.adopt(data)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything reported so far is on the server (True), or until
        ``timeout`` s (default ``flush_timeout``) have passed (False). Offline: False."""
        return self._sender.flush(self.flush_timeout if timeout is None else timeout)

    def close(self) -> None:
        """Flush for ``flush_timeout`` s, then leave the rest in the spool and say so.
        Called at interpreter exit; the worker is not used afterwards."""
        self._sender.close(self.flush_timeout)
        atexit.unregister(self.close)

    # The synchronous calls that need an answer (experiments, trials, new metrics) --------

    def _reachable(self) -> bool:
        return not self.offline and not self._sender.down

    def _call(self, method: str, path: str, body: Any, *, once: bool = False) -> Any:
        """One API call from the user's thread. ``TransportError`` at once when offline or
        when the server is known to be down: the caller then works from the spool."""
        if not self._reachable():
            raise TransportError("offline" if self.offline else "the server is down")
        try:
            if once:
                return self._transport.call(method, path, body, timeout=5.0)
            return self._retry.call(lambda: self._transport.call(method, path, body))
        except TransportError as exc:
            self._sender.mark_down(exc)
            raise

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "offline" if self.offline else self.server
        return f"<Worker {self.name!r} {where}>"
