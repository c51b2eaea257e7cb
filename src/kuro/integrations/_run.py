"""What every integration shares: its keywords, the worker (made on first use unless one
is given), the experiment of a setting, the one trial its framework's hooks feed, metric
modes inferred from names, and the framework's hyper-parameters made plain JSON.

A ``Run`` is used from the training thread only, like the ``Trial`` it holds. It never
waits on the network to report: points go through the ordinary non-blocking client.
"""

from __future__ import annotations

import atexit
import enum
import math
import os
import re
import socket
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

from kuro.client import Experiment, Trial, Worker
from kuro.core.errors import Conflict, InvalidInput, ModeConflict, ModeRequired
from kuro.core.limits import IDENTIFIER_MAX, check_name, check_text
from kuro.core.modes import Mode, check_mode

__all__ = ["Run", "class_path", "infer_direction", "outcome", "plain"]

# How a metric's name says which end is best. Words are matched inside the name; tokens
# (the name split at anything but letters and digits) must match whole.
_MIN_WORDS = ("loss", "error", "rmse", "mse", "mae", "mape", "nll", "nloglik", "perplexity")
_MIN_TOKENS = frozenset({"err", "l1", "l2", "ppl", "wer", "cer", "brier", "runtime", "time"})
_MAX_WORDS = ("acc", "auc", "f1", "precision", "recall", "ndcg", "bleu", "rouge", "per_second")
_MAX_TOKENS = frozenset({"r2", "map", "iou", "miou", "dice", "score", "top1", "top5"})
FALLBACK_MODE: Mode = "min"
"""The mode of a new metric whose name implies none (a learning rate, a gradient norm, an
epoch counter), unless ``metrics=`` names it: Kuro needs one for every metric."""
_DEPTH = 16


def infer_direction(name: str) -> Mode | None:
    """The mode a metric name implies, more widely than the server does: ``val_acc``,
    ``auc``, ``eval_f1`` and ``test_score`` are 'max'; ``loss``, ``error``, ``rmse``,
    ``mae``, ``logloss`` and ``l2`` are 'min'; ``learning_rate`` is None.

    >>> [infer_direction(n) for n in ("val_acc", "validation_0-logloss", "lr", "test_score")]
    ['max', 'min', None, 'max']
    """
    lowered = name.lower()
    tokens = set(re.split(r"[^a-z0-9]+", lowered))
    if any(w in lowered for w in _MIN_WORDS) or tokens & _MIN_TOKENS:
        return "min"
    if any(w in lowered for w in _MAX_WORDS) or tokens & _MAX_TOKENS:
        return "max"
    return None


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON, for hyper-parameters: NumPy and tensor scalars as numbers,
    enums as their values, paths as text, non-finite floats as text, and any other object
    as its repr, or its type's path when the repr holds a memory address (which would make
    every run a new setting).

    >>> plain({"lr": 0.1, "layers": (2, 3), "bad": float("nan"), 4: None})
    {'lr': 0.1, 'layers': [2, 3], 'bad': 'nan', '4': None}
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= _DEPTH:
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [plain(v, depth + 1) for v in items]
    if isinstance(value, enum.Enum):
        return plain(value.value, depth + 1)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:  # NumPy, torch scalars
        return plain(item(), depth + 1)
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return class_path(value)  # classes and functions
    text = repr(value)
    return class_path(type(value)) if " at 0x" in text else text


def class_path(obj: Any) -> str:
    """Where a class or function lives, without private modules: ``sklearn.svm.SVC``."""
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    public = [part for part in module.split(".") if part and not part.startswith("_")]
    return ".".join([*public, name])


def outcome(exc: BaseException | None) -> tuple[str, str]:
    """The status a trial ends with and its error text, after ``exc`` (None: success).
    Kuro has no 'interrupted' status: an interrupted run (Ctrl+C) ends as failed with an
    error text that begins 'interrupted'."""
    if exc is None:
        return "complete", ""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, KeyboardInterrupt):
        return "failed", f"interrupted (KeyboardInterrupt)\n{text}"
    return "failed", text


def _number(value: Any) -> float | None:
    """``value`` as a float when it is one real number (tensors and arrays of one element
    too); None for text, booleans and anything else."""
    if value is None or isinstance(value, (bool, str, bytes)):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        return None


def _default_worker_name() -> str:
    return os.environ.get("KURO_WORKER") or socket.gethostname() or "kuro-worker"


class Run:
    """The keywords every integration takes, and the trial its hooks feed.

    ``group`` is required. ``identifier`` defaults to what the integration reads from its
    framework (the model's class); ``hyper_parameters`` are merged over the framework's;
    ``n_trials`` is the experiment's number of trials (its default depends on the
    integration); ``worker`` is a ``kuro.Worker``, or a worker name (default
    ``KURO_WORKER``, else the host name) for a worker made on first use on ``server``
    (default ``KURO_SERVER``); ``metrics`` gives the modes of metrics whose names imply
    none, ``{'lr': 'min'}``. No I/O happens here.
    """

    def __init__(
        self,
        group: str,
        *,
        identifier: str | None = None,
        hyper_parameters: Mapping[str, Any] | None = None,
        n_trials: int | None = None,
        worker: Worker | str | None = None,
        server: str | None = None,
        metrics: Mapping[str, str] | None = None,
    ) -> None:
        self.group = check_name(group, "group")
        if identifier is not None:
            check_text(identifier, "identifier", IDENTIFIER_MAX)
        self.identifier = identifier
        if hyper_parameters is not None and not isinstance(hyper_parameters, Mapping):
            raise InvalidInput("hyper_parameters is a dict", field="hyper_parameters")
        self.hyper_parameters = dict(hyper_parameters or {})
        if n_trials is not None and (
            isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1
        ):
            raise InvalidInput(f"n_trials is an integer >= 1, not {n_trials!r}", field="n_trials")
        self.n_trials = n_trials
        if worker is not None and not isinstance(worker, (Worker, str)):
            raise InvalidInput("worker is a kuro.Worker or a worker name", field="worker")
        self.server = server
        self.metrics: dict[str, Mode | None] = {
            check_name(name, "metrics"): check_mode(mode, "metrics")
            for name, mode in (metrics or {}).items()
        }
        self._given_worker = worker
        self._worker: Worker | None = worker if isinstance(worker, Worker) else None
        self.trial: Trial | None = None
        """The trial being fed, None before the first and after each end."""
        self.latest: Trial | None = None
        """The trial fed last, kept after it ended (its ``id``, its ``url``)."""
        self._registered: set[str] = set()
        self._last_step: dict[str, int] = {}
        self._warned = False

    @property
    def worker(self) -> Worker:
        """The worker given, or the one made for this run on first use."""
        if self._worker is None:
            name = self._given_worker if isinstance(self._given_worker, str) else None
            self._worker = Worker(name or _default_worker_name(), self.server)
        return self._worker

    def experiment(
        self, identifier: str, hyper_parameters: Mapping[str, Any], *, n_trials: int = 1
    ) -> Experiment:
        """The experiment of this setting: the user's ``hyper_parameters`` over the
        framework's (made plain JSON), the user's identifier and ``n_trials`` over these."""
        merged = {**plain(dict(hyper_parameters)), **self.hyper_parameters}
        return self.worker.experiment(
            self.group,
            self.identifier or identifier,
            hyper_parameters=merged,
            n_trials=self.n_trials or n_trials,
        )

    def start(
        self, identifier: str, hyper_parameters: Mapping[str, Any], *, n_trials: int = 1
    ) -> Trial:
        """A new trial of the experiment of this setting, now the one fed; ``kuro.Conflict``
        when the experiment already has all its trials."""
        return self.adopt(self.experiment(identifier, hyper_parameters, n_trials=n_trials))

    def adopt(self, experiment: Experiment) -> Trial:
        """The next trial of ``experiment``, now the one fed (see ``start``)."""
        trial = experiment.trial()
        if trial is None:
            raise Conflict(
                f"experiment {experiment.identifier!r} of group {self.group!r} already has its "
                f"{experiment.n_trials} trial(s) with these hyper-parameters: pass a larger "
                "n_trials=, or another identifier= or hyper_parameters=",
                detail={"field": "n_trials", "n_trials": experiment.n_trials},
            )
        self.trial = self.latest = trial
        self._last_step.clear()
        return trial

    def report(
        self, values: Mapping[str, Any], step: int, modes: Mapping[str, Mode] | None = None
    ) -> None:
        """Report each real number of ``values`` at ``step`` (the framework's counter) to
        the current trial; anything else (text, arrays) is left out, and so is a metric
        already reported at this step (frameworks repeat some, like the epoch). ``modes``
        are what the framework says of some names, used for metrics new to the group."""
        trial = self.trial
        if trial is None or trial.ended:
            self._warn_ended(values)
            return
        step = int(step)
        for name, value in values.items():
            number = _number(value)
            if number is None or self._last_step.get(name) == step:
                continue
            if name in self._registered:
                trial.report_metric(name, number, step)
            else:
                said = modes.get(name) if modes else None
                self._first_report(trial, name, number, step, said)
            self._last_step[name] = step

    def _first_report(
        self, trial: Trial, name: str, value: float, step: int, said: Mode | None
    ) -> None:
        """The first report of ``name``: the user's mode, else the group's (a metric it
        knows keeps its mode), else the framework's or the name's, else ``FALLBACK_MODE``."""
        if name in self.metrics:
            trial.report_metric(name, value, step, mode=self.metrics[name])
        else:
            inferred = said or infer_direction(name)
            try:
                trial.report_metric(name, value, step, mode=inferred)
            except ModeConflict:  # the group knows it with the other mode
                trial.report_metric(name, value, step)
            except ModeRequired:  # new, and nothing says which end is best
                trial.report_metric(name, value, step, mode=FALLBACK_MODE)
        self._registered.add(name)

    def _warn_ended(self, values: Mapping[str, Any]) -> None:
        if not self._warned and values:
            self._warned = True
            warnings.warn(
                f"kuro: no running trial takes {sorted(values)[:5]} (the trial ends with the "
                "training run); metrics logged after it ended are not recorded",
                RuntimeWarning,
                stacklevel=3,
            )

    def end(self, status: str = "complete", error: str = "") -> None:
        """End the current trial, if any and still running, as ``status``."""
        trial, self.trial = self.trial, None
        if trial is not None and not trial.ended:
            trial.end(status, error)

    def end_at_exit(self) -> None:
        """End the current trial as complete at interpreter exit, unless ended before, for
        frameworks that may stop training without telling callbacks (LightGBM's early
        stopping). Registered after the worker was made, so it runs before the worker's
        own exit flush."""
        atexit.register(self._exit)

    def _exit(self) -> None:
        atexit.unregister(self._exit)
        self.end("complete")
        self.close()

    def close(self) -> None:
        """Close the worker this run made (it flushes for its ``flush_timeout``); a worker
        that was given is left to its owner."""
        if self._worker is not None and self._given_worker is not self._worker:
            self._worker.close()
            self._worker = None
