"""The worker: the entry point of training code. Its machinery (transport, spool,
background sender) is a ``Session`` it shares with its experiments and trials."""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from kuro.client._config import BATCH_DELAY, BATCH_SIZE, Config
from kuro.client._context import prefetch_context
from kuro.client._experiment import Experiment, Metrics, metric_specs
from kuro.client._output import capture_output_enabled
from kuro.client._sampler import Telemetry
from kuro.client._sampler import system_interval as _system_interval
from kuro.client._session import Session, provide_process_worker
from kuro.client._spool import local_ref
from kuro.client._system import system_info
from kuro.client._transport import HttpTransport, Transport
from kuro.core.errors import InvalidInput, TransportError
from kuro.core.limits import IDENTIFIER_MAX, check_name, check_text
from kuro.core.modes import Mode, resolve_mode

if TYPE_CHECKING:
    from kuro.client._trial import Trial

__all__ = ["Worker"]


class Worker:
    """A machine (or process) that runs trials, known to the server by ``name``.

    ``server`` defaults to ``KURO_SERVER``, else http://localhost:8000. Keyword options
    default to environment variables: ``mode`` (``KURO_MODE``: 'online' or 'offline'),
    ``spool_dir`` (``KURO_SPOOL_DIR``, else ~/.kuro/spool), ``flush_timeout`` (seconds
    spent delivering at exit, ``KURO_FLUSH_TIMEOUT``, 10), ``max_pending`` (points kept
    in memory before spilling to the spool, ``KURO_MAX_PENDING``, 500,000), ``on_full``
    (``KURO_ON_FULL``: 'drop', the default, or 'block': what to do once ``max_pending``
    points wait in memory because neither the spool's disk nor the server takes them; see
    ``kuro.client._sender``), ``heartbeat`` (seconds between heartbeats of a running
    trial, ``KURO_HEARTBEAT``, 30), ``token`` (the API token, ``KURO_TOKEN``), ``capture``
    (``KURO_CAPTURE``: 'on', the default, or 'off': whether each trial sends its run
    context, see ``kuro.client._context``), ``capture_output`` (``KURO_CAPTURE_OUTPUT``: 0,
    the default, or 1: whether the trials keep this process's stdout and stderr, which the
    user still sees), ``system_interval`` (seconds between system samples of CPU, memory and
    GPUs, ``KURO_SYSTEM_INTERVAL``, 5; 0 for none, as with ``capture`` off; see
    ``kuro.client._sampler``).
    ``transport`` is an ``httpx`` transport (tests) or a ``kuro`` ``Transport``. Batches
    hold at most ``batch_size`` points, and never more than the server takes (it says so in
    its health answer). A ``server`` that is not an http(s) URL raises ``kuro.InvalidInput``.
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
        on_full: str | None = None,
        heartbeat: float | None = None,
        batch_size: int = BATCH_SIZE,
        batch_delay: float = BATCH_DELAY,
        token: str | None = None,
        capture: bool | None = None,
        capture_output: bool | None = None,
        system_interval: float | None = None,
        transport: httpx.BaseTransport | Transport | None = None,
    ) -> None:
        self.name = check_name(name, "name")
        config = Config.resolve(
            server,
            mode=mode,
            spool_dir=spool_dir,
            flush_timeout=flush_timeout,
            max_pending=max_pending,
            on_full=on_full,
            heartbeat=heartbeat,
            token=token,
            capture=capture,
        )
        self.server = config.server
        self.offline = config.offline
        self.flush_timeout = config.flush_timeout
        self.max_pending = config.max_pending
        if not isinstance(transport, Transport):
            transport = HttpTransport(config.server, transport=transport, token=config.token)
        self.session = Session(
            self.name, config, transport, batch_size=batch_size, batch_delay=batch_delay
        )
        """The machinery this worker shares with its experiments and trials."""
        if config.capture:
            prefetch_context()
        interval = _system_interval(system_interval)
        self.telemetry = Telemetry(
            self.session,
            capture_output=capture_output_enabled(capture_output),
            interval=interval if config.capture else 0.0,
        )
        """This worker's console capture and system samples (``kuro.client._sampler``)."""
        self.session.start({"name": self.name, **system_info()})
        self.telemetry.start()
        atexit.register(self.close)

    @property
    def spool_path(self) -> Path:
        """This worker's session directory in the spool."""
        return self.session.spool.path

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self.session.closed

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
        group = check_name(group, "group")
        specs = metric_specs(metrics)
        body = {
            "group": group,
            "identifier": check_text(identifier, "identifier", IDENTIFIER_MAX),
            "hyper_parameters": hyper_parameters,
            "n_trials": n_trials,
            "metrics": specs,
        }
        try:
            answer = self.session.call("POST", "/experiments", body)
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
        modes: dict[str, Mode] = {
            spec["name"]: resolve_mode(
                spec["name"], spec["mode"], group=group, field=f"metrics[{i}]"
            )
            for i, spec in enumerate(specs)
        }
        ref = local_ref("experiment")
        self.session.request("experiment", "/experiments", body, defines=ref)
        return Experiment(self, body, key=ref, modes=modes)

    # The work queue -----------------------------------------------------------------------

    def request_work(self, group: str | None = None, sweep: int | None = None) -> Trial | None:
        """The next queued trial (of ``group``, or of ``sweep``), now running for this worker
        under a lease that its heartbeats renew; None when there is no work left. Needs the
        server: raises ``kuro.TransportError`` when it cannot be reached."""
        if self.offline:
            raise TransportError("request_work needs the server; this worker is offline")
        self.session.flush()  # an earlier trial's end goes first
        body = {"worker": self.name, "group": group, "sweep": sweep}
        answer = self.session.call(
            "POST", "/work", {k: v for k, v in body.items() if v is not None}
        )
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
        return self._adopt(self.session.call("GET", f"/trials/{trial_id}"))

    def _adopt(self, data: dict[str, Any]) -> Trial:
        """A Trial object for a trial the server handed to this worker."""
        detail = self.session.call("GET", f"/experiments/{data['experiment_id']}")
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
        ``timeout`` s (default ``flush_timeout``) have passed (False). Offline, or once the
        server refused some of it (kept in the spool's ``failed/``): False."""
        return self.session.flush(timeout)

    def close(self) -> None:
        """Flush for ``flush_timeout`` s, then leave the rest in the spool and say so.
        Called at interpreter exit; the worker is not used afterwards."""
        self.telemetry.close()
        self.session.close()
        atexit.unregister(self.close)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "offline" if self.offline else self.server
        return f"<Worker {self.name!r} {where}>"


provide_process_worker(lambda name, server: Worker(name, server))
