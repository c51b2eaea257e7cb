"""LightGBM: ``KuroCallback``, a callback that records a boosting run as a Kuro trial.

>>> lightgbm.train(params, train_set, valid_sets=[valid],
...                callbacks=[KuroCallback(group="churn")])  # doctest: +SKIP

At the first iteration the experiment is ``lightgbm.Booster`` with the training
parameters as hyper-parameters (without verbosity and thread counts); after each
iteration every evaluation result is reported as ``<set>-<metric>`` (``valid_0-auc``) at
the iteration's number, with the mode LightGBM gives it (``is_higher_better``). The trial
ends as complete after the last iteration. LightGBM does not tell callbacks when early
stopping ends training sooner: then the trial ends when the callback starts another
training run, when ``end()`` is called, or at interpreter exit. It works in the
scikit-learn API too (``LGBMClassifier().fit(..., callbacks=[...])``) and in
``lightgbm.cv`` (the mean over the folds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kuro.client import Trial, Worker
from kuro.core.modes import Mode
from kuro.integrations._run import Run

__all__ = ["KuroCallback"]

# Parameters that say how LightGBM runs, not what it learns.
_NOT_SETTINGS = frozenset(
    {"verbose", "verbosity", "num_threads", "num_thread", "nthread", "nthreads", "n_jobs"}
)


class KuroCallback:
    """Reports a LightGBM training run to Kuro (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default
    ``lightgbm.Booster``), ``hyper_parameters`` (over the training parameters),
    ``n_trials`` (default 1), ``worker``, ``server``, ``metrics`` (modes of metrics whose
    names imply none). It runs before LightGBM's early stopping (``order``), so the last
    iteration's results are reported too.
    """

    before_iteration = False

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
        self.run = Run(
            group,
            identifier=identifier,
            hyper_parameters=hyper_parameters,
            n_trials=n_trials,
            worker=worker,
            server=server,
            metrics=metrics,
        )
        self._exit_registered = False
        # After LightGBM's own evaluation callbacks (10, 20), before early stopping (30),
        # which raises and so ends the iteration. An instance attribute: LightGBM gives
        # every callback without one in its __dict__ an order of its own.
        self.order = 25

    @property
    def trial(self) -> Trial | None:
        """The Kuro trial of the current training run, or of the last one once it ended
        (None before the first)."""
        return self.run.latest

    def __call__(self, env: Any) -> None:
        run = self.run
        if env.iteration == env.begin_iteration:
            run.end("complete")  # an earlier run that early stopping ended
            settings = {k: v for k, v in env.params.items() if k not in _NOT_SETTINGS}
            run.start("lightgbm.Booster", settings)
            if not self._exit_registered:
                self._exit_registered = True
                run.end_at_exit()
        values: dict[str, float] = {}
        modes: dict[str, Mode] = {}
        for result in env.evaluation_result_list or ():
            # (set, metric, value, is_higher_better), and the standard deviation in cv.
            name = f"{result[0]}-{result[1]}"
            values[name] = result[2]
            modes[name] = "max" if result[3] else "min"
        run.report(values, env.iteration, modes)
        if env.iteration == env.end_iteration - 1:
            self.end()

    def end(self, status: str = "complete", error: str = "") -> None:
        """End the trial now (after early stopping, say), as ``status``."""
        self.run.end(status, error)
        self.run.close()
