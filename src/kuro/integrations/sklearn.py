"""scikit-learn: ``log_search``, a fitted ``GridSearchCV`` or ``RandomizedSearchCV`` as
Kuro experiments, one per parameter setting, each with one trial per CV fold.

>>> search = GridSearchCV(SVC(), {"C": [0.1, 1, 10]}, cv=5).fit(X, y)  # doctest: +SKIP
>>> log_search(search, group="iris")  # doctest: +SKIP

Each trial holds its fold's test score (``test_score``, or ``test_<name>`` for each of
several scorers) and, with ``return_train_score=True``, its train score, at step 0: so
Kuro's comparison of repeats (intervals, tests between settings) works on CV folds as it
does on seeds. Scores are 'max' (scikit-learn's scores are greater-is-better; an error
scorer is negated). A fold whose fit failed (its score is NaN, ``error_score=np.nan``)
ends as failed. Nothing of scikit-learn is imported: ``search`` is only read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from kuro.client import Experiment, Worker
from kuro.core.errors import InvalidInput
from kuro.core.modes import Mode
from kuro.integrations._run import Run, class_path

__all__ = ["log_search"]

_SPLIT = re.compile(r"^split(\d+)_(test|train)_(.+)$")


def log_search(
    search: Any,
    *,
    group: str,
    identifier: str | None = None,
    hyper_parameters: Mapping[str, Any] | None = None,
    n_trials: int | None = None,
    worker: Worker | str | None = None,
    server: str | None = None,
    metrics: Mapping[str, str] | None = None,
) -> list[Experiment]:
    """Record a fitted search; answers its experiments, in the order of ``cv_results_``.

    Keywords as in every integration: ``group`` (required), ``identifier`` (default: the
    searched estimator's class), ``hyper_parameters`` (over each setting's parameters),
    ``n_trials`` (default: the number of folds), ``worker``, ``server``, ``metrics``.
    Raises ``kuro.InvalidInput`` for a search that was not fitted, and ``kuro.Conflict``
    when a setting's experiment already has its trials (the search was recorded before).
    """
    results = getattr(search, "cv_results_", None)
    if not isinstance(results, Mapping) or "params" not in results:
        raise InvalidInput("search is a fitted GridSearchCV or RandomizedSearchCV", field="search")
    columns: dict[str, list[str]] = {}  # metric name -> its column of each fold
    for key in results:
        match = _SPLIT.match(key)
        if match:
            fold, kind, scorer = match.groups()
            columns.setdefault(f"{kind}_{scorer}", []).append(key)
    n_splits = int(getattr(search, "n_splits_", 0)) or max(map(len, columns.values()), default=1)
    modes: dict[str, Mode] = dict.fromkeys(columns, "max")
    run = Run(
        group,
        identifier=identifier,
        hyper_parameters=hyper_parameters,
        n_trials=n_trials,
        worker=worker,
        server=server,
        metrics=metrics,
    )
    estimator = getattr(search, "estimator", search)
    experiments = []
    try:
        for i, params in enumerate(results["params"]):
            experiment = run.experiment(class_path(type(estimator)), params, n_trials=n_splits)
            experiments.append(experiment)
            for fold in range(n_splits):
                run.adopt(experiment)
                values = {
                    name: results[f"split{fold}_{name}"][i]
                    for name in columns
                    if f"split{fold}_{name}" in results
                }
                run.report(values, 0, modes)
                failed = [n for n, v in values.items() if n.startswith("test_") and _nan(v)]
                if failed:
                    run.end("failed", f"fold {fold}: the fit failed ({failed[0]} is NaN)")
                else:
                    run.end("complete")
    finally:
        run.close()
    return experiments


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False
