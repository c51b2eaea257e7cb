"""PyTorch Lightning: ``KuroLogger``, a logger that records a fit as a Kuro trial.

>>> trainer = lightning.Trainer(logger=KuroLogger(group="mnist"))  # doctest: +SKIP

The experiment is the model's class with its ``hparams`` (``save_hyperparameters()``);
each fit is one trial, ended with the fit's outcome: complete, or failed with the
traceback (an interrupted fit, Ctrl+C, fails with an error text that begins
'interrupted'). Metrics go at Lightning's ``global_step``. Under DDP only rank zero talks
to Kuro.
"""

from __future__ import annotations

import sys
import time
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

from kuro.client import Trial, Worker
from kuro.integrations._run import Run, class_path, outcome

__all__ = ["KuroLogger"]


class KuroLogger(Logger):  # type: ignore[misc]  # Lightning's classes are untyped here
    """A Lightning ``Logger`` that reports to Kuro (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default: the
    LightningModule's class), ``hyper_parameters`` (over the module's ``hparams``),
    ``n_trials`` (default 1), ``worker``, ``server``, ``metrics`` (modes of metrics whose
    names imply none). ``save_dir`` is where Lightning puts checkpoints
    (``save_dir/name/version``; default the trainer's root dir), ``name`` defaults to the
    group and ``version`` to a time stamp made here.
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
        save_dir: str | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__()
        self.run = Run(
            group,
            identifier=identifier,
            hyper_parameters=hyper_parameters,
            n_trials=n_trials,
            worker=worker,
            server=server,
            metrics=metrics,
        )
        self._save_dir = save_dir
        self._name = name or self.run.group
        self._version = version or time.strftime("%Y%m%d-%H%M%S")
        self._params: dict[str, Any] = {}
        self._identifier: str | None = None
        self._finalized = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    @property
    def trial(self) -> Trial | None:
        """The Kuro trial of the current fit, or of the last one once it ended
        (None before the first)."""
        return self.run.latest

    @property
    def experiment(self) -> Trial | None:
        """Lightning's name for the logger's handle: the Kuro trial."""
        return self.run.latest

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        """Keep the module's hyper-parameters for the experiment, made at the first metric."""
        self._params.update(vars(params) if isinstance(params, Namespace) else params)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """Lightning hands every logger the module: its class names the experiment."""
        self._identifier = class_path(type(model))

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        run = self.run
        if run.trial is None and not self._finalized:
            run.start(self._identifier or "lightning", self._params)
        run.report(metrics, step if step is not None else 0)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        """End the trial with the fit's outcome: Lightning says 'success' or 'failed', and
        while it handles an exception, that exception says which failure. 'finished' (a
        SLURM requeue: the job goes on later) only delivers what was reported."""
        run = self.run
        if status == "finished":
            if run.trial is not None:
                run.worker.flush()
            return
        if self._finalized:
            return
        if run.trial is None and (status == "success" or self._identifier is not None):
            # A fit that logged nothing (or failed before its first metric) is still a
            # trial that ran.
            run.start(self._identifier or "lightning", self._params)
        self._finalized = True
        if status == "success":
            run.end("complete")
        else:
            exc = sys.exc_info()[1]
            failed, error = outcome(exc if exc is not None else RuntimeError(status))
            run.end(failed, error)
        run.close()
