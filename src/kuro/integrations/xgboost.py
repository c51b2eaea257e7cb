"""XGBoost: ``KuroCallback``, a training callback that records a boosting run as a Kuro
trial.

>>> xgboost.train(params, dtrain, evals=[(dvalid, "valid")],
...               callbacks=[KuroCallback(group="churn")])  # doctest: +SKIP

Before training, the experiment is ``xgboost.Booster`` with the booster's parameters as
hyper-parameters (all of them, defaults included, as the booster holds them); after each
boosting round every evaluation metric of every ``evals`` set is reported as
``<set>-<metric>`` (``valid-logloss``, as XGBoost prints it) at the round's number; after
training the trial ends as complete. It works in the scikit-learn API too
(``XGBClassifier(callbacks=[...])``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xgboost.callback import TrainingCallback

from kuro.client import Trial, Worker
from kuro.integrations._run import Run

__all__ = ["KuroCallback", "booster_parameters"]

# Parts of the booster's configuration that say how it runs, not what it learns.
_NOT_SETTINGS = ("gbtree_train_param", "hist_train_param", "updater")


def _value(text: Any) -> Any:
    """A configuration value (XGBoost keeps them as text, floats in single precision)."""
    if not isinstance(text, str):
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(f"{float(text):.7g}")
    except ValueError:
        return text


def _train_params(section: Mapping[str, Any], into: dict[str, Any]) -> None:
    for key, value in section.items():
        if key in _NOT_SETTINGS:
            continue
        if isinstance(value, Mapping):
            if key.endswith("train_param"):
                into.update({k: _value(v) for k, v in value.items()})
            else:
                _train_params(value, into)


def booster_parameters(config: str) -> dict[str, Any]:
    """The training parameters in a booster's ``save_config()``: booster, objective, the
    tree (or linear, or dart) parameters, the seed and the evaluation metrics."""
    learner = json.loads(config)["learner"]
    params: dict[str, Any] = {
        k: _value(v)
        for k, v in learner["learner_train_param"].items()
        if k != "disable_default_eval_metric"
    }
    _train_params(learner["gradient_booster"], params)
    params["seed"] = _value(learner["generic_param"].get("seed", "0"))
    params["eval_metric"] = [m["name"] for m in learner.get("metrics", [])]
    return params


class KuroCallback(TrainingCallback):  # type: ignore[misc]  # xgboost's classes are Any here
    """Reports an XGBoost training run to Kuro (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default
    ``xgboost.Booster``), ``hyper_parameters`` (over the booster's), ``n_trials`` (default
    1), ``worker``, ``server``, ``metrics`` (modes of metrics whose names imply none).
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

    @property
    def trial(self) -> Trial | None:
        """The Kuro trial of the current training run, or of the last one once it ended
        (None before the first)."""
        return self.run.latest

    def before_training(self, model: Any) -> Any:
        # A trial still running here is an earlier training run that raised.
        self.run.end("failed", "training stopped before its end")
        self.run.start("xgboost.Booster", booster_parameters(model.save_config()))
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Any]) -> bool:
        values = {}
        for data, metrics in evals_log.items():
            for metric, history in metrics.items():
                last = history[-1]
                # xgboost.cv keeps (mean, standard deviation) pairs.
                values[f"{data}-{metric}"] = last[0] if isinstance(last, tuple) else last
        self.run.report(values, epoch)
        return False

    def after_training(self, model: Any) -> Any:
        self.run.end("complete")
        self.run.close()
        return model
