"""Optuna's samplers and pruners over studies rebuilt from Kuro's tables.

Kuro keeps a sweep's state in its own database: the configurations (params, the sampler's
system attributes, the score) and the trials' metric points. A study is rebuilt in memory
from them when a decision is needed, so the sweep survives restarts and any server process
can serve it. Nothing here samples or prunes by itself: Optuna decides.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Sequence
from typing import Any

from kuro.core.errors import InvalidInput

__all__ = [
    "build_pruning_study",
    "build_study",
    "distributions_of",
    "make_pruner",
    "make_sampler",
    "validate_space",
]

_NEEDS = {"cmaes": ("cmaes", "cmaes"), "gp": ("torch", "torch (pip install torch)")}


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


MAX_PARAMS = 64
MAX_CHOICES = 1000
MAX_GRID = 10_000


def validate_space(space: Any) -> dict[str, dict[str, Any]]:
    """The search space, checked: every parameter a float/int range or categorical choices."""
    if not isinstance(space, dict) or not space:
        raise InvalidInput("space must map parameter names to ranges or choices", field="space")
    if len(space) > MAX_PARAMS:
        raise InvalidInput(f"space has at most {MAX_PARAMS} parameters", field="space")
    for name, spec in space.items():
        field = f"space.{name}"
        if not isinstance(spec, dict) or spec.get("type") not in ("float", "int", "categorical"):
            raise InvalidInput(
                f'{field} needs "type": "float", "int" or "categorical"', field=field
            )
        if spec["type"] == "categorical":
            choices = spec.get("choices")
            if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
                raise InvalidInput(
                    f"{field}.choices must be a list of 1 to {MAX_CHOICES} values", field=field
                )
            for choice in choices:
                if not (choice is None or isinstance(choice, (bool, int, float, str))):
                    raise InvalidInput(
                        f"{field}.choices holds numbers, strings, booleans or null", field=field
                    )
            continue
        low, high = spec.get("low"), spec.get("high")
        numeric = (int,) if spec["type"] == "int" else (int, float)
        if not (isinstance(low, numeric) and isinstance(high, numeric)) or isinstance(low, bool):
            raise InvalidInput(f"{field} needs numeric low and high", field=field)
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise InvalidInput(f"{field}: low must be finite and at most high", field=field)
        if spec.get("log") and low <= 0:
            raise InvalidInput(f"{field}: a log range needs low > 0", field=field)
        step = spec.get("step")
        if spec.get("log") and step not in (None, 1):
            raise InvalidInput(f"{field}: a log range takes no step", field=field)
        if step is not None and (
            isinstance(step, bool)
            or not isinstance(step, numeric)
            or not math.isfinite(step)
            or step <= 0
        ):
            raise InvalidInput(f"{field}: step must be a positive number", field=field)
    try:
        distributions_of(space)
    except ValueError as e:
        raise InvalidInput(f"space: {e}", field="space") from None
    return space


def distributions_of(space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    optuna = _optuna()
    d = optuna.distributions
    out: dict[str, Any] = {}
    for name, spec in space.items():
        if spec["type"] == "categorical":
            out[name] = d.CategoricalDistribution(spec["choices"])
        elif spec["type"] == "int":
            out[name] = d.IntDistribution(
                spec["low"], spec["high"], log=bool(spec.get("log")), step=spec.get("step") or 1
            )
        else:
            out[name] = d.FloatDistribution(
                spec["low"], spec["high"], log=bool(spec.get("log")), step=spec.get("step")
            )
    return out


def check_sampler(name: str, space: dict[str, dict[str, Any]]) -> None:
    """Refuse at creation what the sampler cannot do here."""
    if name in _NEEDS:
        module, what = _NEEDS[name]
        if importlib.util.find_spec(module) is None:
            raise InvalidInput(
                f"the {name!r} sampler needs {what}, which this server does not have",
                field="sampler",
            )
    if name == "grid":
        size = grid_size(space)
        if size > MAX_GRID:
            raise InvalidInput(
                f"the grid has {size} points; at most {MAX_GRID}",
                field="space",
                detail={"field": "space", "limit": MAX_GRID, "size": size},
            )


def _grid_count(name: str, spec: dict[str, Any]) -> int:
    """How many grid values a parameter has, counted without listing them."""
    if spec["type"] == "categorical":
        return len(spec["choices"])
    if spec["type"] == "int":
        return (spec["high"] - spec["low"]) // (spec.get("step") or 1) + 1
    if spec.get("step"):
        return round((spec["high"] - spec["low"]) / spec["step"]) + 1
    raise InvalidInput(
        f"the grid sampler needs a step for float parameter {name!r}", field=f"space.{name}"
    )


def grid_size(space: dict[str, dict[str, Any]]) -> int:
    return math.prod(_grid_count(name, spec) for name, spec in space.items())


def grid_values(space: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """The grid of a space (at most MAX_GRID points, checked at creation): choices, int
    ranges by step, float ranges that have a step."""
    out: dict[str, list[Any]] = {}
    for name, spec in space.items():
        n = _grid_count(name, spec)
        if spec["type"] == "categorical":
            out[name] = list(spec["choices"])
        elif spec["type"] == "int":
            out[name] = [spec["low"] + i * (spec.get("step") or 1) for i in range(n)]
        else:
            out[name] = [spec["low"] + i * spec["step"] for i in range(n)]
    return out


def make_sampler(name: str, space: dict[str, dict[str, Any]], seed: int | None):
    optuna = _optuna()
    samplers = optuna.samplers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if name == "tpe":
            return samplers.TPESampler(seed=seed, constant_liar=True)
        if name == "random":
            return samplers.RandomSampler(seed=seed)
        if name == "grid":
            return samplers.GridSampler(grid_values(space), seed=seed)
        if name == "cmaes":
            return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        if name == "gp":
            return samplers.GPSampler(seed=seed)
    raise InvalidInput(f"unknown sampler {name!r}", field="sampler")


def make_pruner(name: str, options: dict[str, Any]):
    optuna = _optuna()
    try:
        if name == "median":
            return optuna.pruners.MedianPruner(**options)
        if name == "hyperband":
            return optuna.pruners.HyperbandPruner(**options)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"pruner_options: {e}", field="pruner_options") from None
    return optuna.pruners.NopPruner()


def _study(direction: str, sampler=None, pruner=None):
    optuna = _optuna()
    return optuna.create_study(
        storage=optuna.storages.InMemoryStorage(),
        direction="maximize" if direction == "max" else "minimize",
        sampler=sampler,
        pruner=pruner,
    )


def build_study(
    *, direction: str, sampler, distributions: dict[str, Any], configs: Sequence[dict[str, Any]]
):
    """A study holding every configuration so far: ``{"params", "state", "value",
    "system_attrs"}`` each, ``state`` one of running/complete/pruned/failed."""
    optuna = _optuna()
    states = {
        "running": optuna.trial.TrialState.RUNNING,
        "complete": optuna.trial.TrialState.COMPLETE,
        "pruned": optuna.trial.TrialState.PRUNED,
        "failed": optuna.trial.TrialState.FAIL,
    }
    study = _study(direction, sampler=sampler)
    for config in configs:
        state = states[config["state"]]
        if state == optuna.trial.TrialState.COMPLETE and config["value"] is None:
            state = optuna.trial.TrialState.FAIL
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                value=config["value"] if state == optuna.trial.TrialState.COMPLETE else None,
                params=config["params"],
                distributions=distributions,
                system_attrs=config["system_attrs"],
            )
        )
    return study


def ask(study, distributions: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sampler's next configuration and the system attributes it attached."""
    trial = study.ask(distributions)
    attrs = study._storage.get_trial_system_attrs(trial._trial_id)
    return dict(trial.params), dict(attrs)


def build_pruning_study(*, direction: str, pruner, runs: Sequence[dict[str, Any]]):
    """A study of runs (one per Kuro trial, ordered by id): ``{"state", "value",
    "intermediate"}``; answers the study and the frozen trials by position."""
    optuna = _optuna()
    states = {
        "running": optuna.trial.TrialState.RUNNING,
        "complete": optuna.trial.TrialState.COMPLETE,
        "pruned": optuna.trial.TrialState.PRUNED,
    }
    study = _study(direction, pruner=pruner)
    for run in runs:
        state = states.get(run["state"], optuna.trial.TrialState.FAIL)
        value = run["value"] if state == optuna.trial.TrialState.COMPLETE else None
        if state == optuna.trial.TrialState.COMPLETE and value is None:
            state = optuna.trial.TrialState.FAIL
        study.add_trial(
            optuna.trial.create_trial(
                state=state, value=value, intermediate_values=run["intermediate"]
            )
        )
    return study


def should_prune(study, index: int) -> bool:
    """Optuna's pruner's verdict on the run at ``index`` of a pruning study."""
    frozen = study.get_trials(deepcopy=False)[index]
    if not frozen.intermediate_values:
        return False
    return bool(study.pruner.prune(study, frozen))
