"""Optuna: ``KuroCallback`` for a study the user runs with ``study.optimize(...)``.

>>> study.optimize(objective, n_trials=50,
...                callbacks=[KuroCallback(group="search")])  # doctest: +SKIP

Each finished Optuna trial is recorded as a Kuro trial of the experiment named by its
parameters (identifier: the study's name): its objective value as the metric ``value``
(``metric_name``; the study's metric names, or ``value_0``, ``value_1``... for several
objectives), with the study's direction as its mode, and its intermediate values
(``trial.report``) as ``value_intermediate`` at their steps. Its state is mapped:
complete, pruned, failed. Optuna itself is never imported here: the study and its trials
are only read.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.client import Worker
from kuro.core.errors import Conflict
from kuro.core.modes import Mode
from kuro.integrations._run import Run

__all__ = ["KuroCallback"]

_STATUSES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


class KuroCallback:
    """Records each finished trial of a study (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default: the
    study's name), ``hyper_parameters`` (over each trial's parameters), ``n_trials``
    (trials per experiment, default 1: a setting Optuna samples again once its
    experiment is full is left out, with a warning), ``worker``, ``server``, ``metrics``.
    ``metric_name`` names the objective's metric (a list for several objectives).
    The worker it makes stays open for the next trials; ``close()`` closes it (interpreter
    exit does too).
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
        metric_name: str | Sequence[str] | None = None,
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
        self.metric_name = metric_name

    def names(self, study: Any) -> list[str]:
        """The metric name of each objective."""
        n = len(study.directions)
        given = self.metric_name
        if isinstance(given, str):
            return [given] if n == 1 else [f"{given}_{i}" for i in range(n)]
        if given is not None:
            return list(given)
        named = getattr(study, "metric_names", None)
        if named:
            return list(named)
        return ["value"] if n == 1 else [f"value_{i}" for i in range(n)]

    def __call__(self, study: Any, trial: Any) -> None:
        status = _STATUSES.get(trial.state.name)
        if status is None:
            return
        names = self.names(study)
        modes: dict[str, Mode] = {
            name: "max" if d.name == "MAXIMIZE" else "min"
            for name, d in zip(names, study.directions, strict=True)
        }
        run = self.run
        experiment = run.experiment(study.study_name, trial.params)
        try:
            run.adopt(experiment)
        except Conflict as exc:
            warnings.warn(
                f"kuro: Optuna trial {trial.number} is not recorded: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        intermediate = f"{names[0]}_intermediate"
        modes[intermediate] = modes[names[0]]
        for step, value in sorted(trial.intermediate_values.items()):
            run.report({intermediate: value}, step, modes)
        if trial.values is not None:
            run.report(dict(zip(names, trial.values, strict=True)), 0, modes)
        error = ""
        if status == "failed":
            reason = (
                trial.system_attrs.get("fail_reason") or "the objective raised or gave no value"
            )
            error = f"Optuna trial {trial.number}: {reason}"
        run.end(status, error)

    def close(self) -> None:
        """Close the worker this callback made (it flushes what is still to send)."""
        self.run.close()
