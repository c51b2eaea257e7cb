"""Optuna studies rebuilt from Kuro's tables, and the samplers and pruners that use them.

Kuro keeps a sweep's state in its own database: the configurations (params, the sampler's
system attributes, the score) and the trials' metric points. A study is rebuilt in memory
from them when a decision is needed, so the sweep survives restarts and any server process
can serve it. Nothing here samples or prunes by itself: Optuna decides, through its public
API only (``create_trial`` + ``add_trial``, ``ask``, ``get_trials``, ``pruner.prune``).

Values told to Optuna: NaN never (a configuration or run without a value is a failed
trial); ±infinity as it is, since Optuna takes it (``create_trial``/``tell`` refuse NaN
only, TPE and the pruners rank infinities like any value, and the GP sampler clips them to
the finite range itself).

Samplers and pruners are built from name-to-factory tables (``SAMPLERS``, ``PRUNERS``)
whose keys are the ``Sweep.Sampler`` and ``Sweep.Pruner`` choices.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kuro.core.errors import InvalidInput
from kuro.core.limits import GRID_MAX
from kuro.core.modes import Mode
from kuro.server.queue.space import Space, grid_size, grid_values

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler
    from optuna.study import Study
    from optuna.trial import FrozenTrial, TrialState

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "SAMPLER_NEEDS",
    "Config",
    "Run",
    "ask",
    "build_study",
    "check_sampler",
    "make_pruner",
    "make_sampler",
    "prune_verdict",
]


# Optuna is imported where it is used (it takes a while): importing the server, or a page
# that never samples, should not pay for it.
def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


# Samplers -----------------------------------------------------------------------------

SamplerFactory = Callable[[Space, "int | None"], "BaseSampler"]


def _tpe(space: Space, seed: int | None) -> BaseSampler:
    return _optuna().samplers.TPESampler(seed=seed, constant_liar=True)


def _random(space: Space, seed: int | None) -> BaseSampler:
    return _optuna().samplers.RandomSampler(seed=seed)


def _grid(space: Space, seed: int | None) -> BaseSampler:
    return _optuna().samplers.GridSampler(grid_values(space), seed=seed)


def _cmaes(space: Space, seed: int | None) -> BaseSampler:
    return _optuna().samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def _gp(space: Space, seed: int | None) -> BaseSampler:
    return _optuna().samplers.GPSampler(seed=seed)


SAMPLERS: dict[str, SamplerFactory] = {
    "tpe": _tpe,
    "random": _random,
    "grid": _grid,
    "cmaes": _cmaes,
    "gp": _gp,
}
"""``Sweep.Sampler`` choice -> factory of Optuna's sampler, given the space and a seed."""

SAMPLER_NEEDS: dict[str, tuple[str, str]] = {
    "cmaes": ("cmaes", "cmaes"),
    "gp": ("torch", "torch (pip install torch)"),
}
"""Sampler -> (module it imports, what to install), checked when a sweep is created."""


def make_sampler(name: str, space: Space, seed: int | None) -> BaseSampler:
    """Optuna's sampler called ``name`` over ``space``, seeded."""
    factory = SAMPLERS.get(name)
    if factory is None:
        raise InvalidInput(f"unknown sampler {name!r}", field="sampler")
    optuna = _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return factory(space, seed)


def check_sampler(name: str, space: Space) -> None:
    """Refuse at creation what the sampler cannot do here."""
    if name in SAMPLER_NEEDS:
        module, what = SAMPLER_NEEDS[name]
        if importlib.util.find_spec(module) is None:
            raise InvalidInput(
                f"the {name!r} sampler needs {what}, which this server does not have",
                field="sampler",
            )
    if name == "grid":
        size = grid_size(space)
        if size > GRID_MAX:
            raise InvalidInput(
                f"the grid has {size} points; at most {GRID_MAX}",
                field="space",
                detail={"field": "space", "limit": GRID_MAX, "size": size},
            )


# Pruners ------------------------------------------------------------------------------

PrunerFactory = Callable[[Mapping[str, Any]], "BasePruner"]


def _no_pruner(options: Mapping[str, Any]) -> BasePruner:
    return _optuna().pruners.NopPruner()


def _median(options: Mapping[str, Any]) -> BasePruner:
    return _optuna().pruners.MedianPruner(**options)


def _hyperband(options: Mapping[str, Any]) -> BasePruner:
    return _optuna().pruners.HyperbandPruner(**options)


PRUNERS: dict[str, PrunerFactory] = {
    "none": _no_pruner,
    "median": _median,
    "hyperband": _hyperband,
}
"""``Sweep.Pruner`` choice -> factory of Optuna's pruner, given its keyword options."""


def make_pruner(name: str, options: Mapping[str, Any]) -> BasePruner:
    """Optuna's pruner called ``name`` with ``options``; bad options are ``InvalidInput``."""
    factory = PRUNERS.get(name)
    if factory is None:
        raise InvalidInput(f"unknown pruner {name!r}", field="pruner")
    try:
        return factory(options)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"pruner_options: {e}", field="pruner_options") from None


# Studies ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    """A configuration as the sampler sees it: ``state`` one of running/complete/pruned/
    failed, ``value`` its score (None or NaN when it has none)."""

    params: dict[str, Any]
    state: str
    value: float | None
    system_attrs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Run:
    """A trial as a pruner sees it: ``state`` a Kuro trial status, ``value`` its best
    objective value (None or NaN when it has none), ``intermediate`` step -> value."""

    state: str
    value: float | None
    intermediate: dict[int, float]


def _state(name: str) -> TrialState:
    """Optuna's trial state for a Kuro configuration state or trial status."""
    states = _optuna().trial.TrialState
    return {
        "running": states.RUNNING,
        "complete": states.COMPLETE,
        "pruned": states.PRUNED,
    }.get(name, states.FAIL)


def _told(state: TrialState, value: float | None) -> tuple[TrialState, float | None]:
    """(state, value) as Optuna takes them: only a complete trial has a value, and a
    complete trial without one (None or NaN, which Optuna refuses) counts as failed."""
    states = _optuna().trial.TrialState
    if state != states.COMPLETE:
        return state, None
    if value is None or math.isnan(value):
        return states.FAIL, None
    return state, value


def _study(
    direction: Mode, sampler: BaseSampler | None = None, pruner: BasePruner | None = None
) -> Study:
    optuna = _optuna()
    return optuna.create_study(
        storage=optuna.storages.InMemoryStorage(),
        direction="maximize" if direction == "max" else "minimize",
        sampler=sampler,
        pruner=pruner,
    )


def build_study(
    *,
    direction: Mode,
    sampler: BaseSampler | None,
    distributions: dict[str, BaseDistribution],
    configs: Sequence[Config],
) -> Study:
    """A study holding every configuration so far, in order."""
    optuna = _optuna()
    study = _study(direction, sampler=sampler)
    for config in configs:
        state, value = _told(_state(config.state), config.value)
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                value=value,
                params=config.params,
                distributions=distributions,
                system_attrs=config.system_attrs,
            )
        )
    return study


def ask(
    study: Study, distributions: dict[str, BaseDistribution]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sampler's next configuration and the system attributes it attached."""
    trial = study.ask(distributions)
    frozen = _trial_numbered(study, trial.number)
    return dict(frozen.params), dict(frozen.system_attrs)


def _trial_numbered(study: Study, number: int) -> FrozenTrial:
    for frozen in reversed(study.get_trials(deepcopy=False)):
        if frozen.number == number:
            return frozen
    raise LookupError(f"the study has no trial {number}")  # cannot happen: it was just asked


def prune_verdict(*, direction: Mode, pruner: BasePruner, others: Sequence[Run], me: Run) -> bool:
    """Optuna's pruner's verdict on the running trial ``me``, judged in a study of the
    ``others`` (in order) followed by ``me``."""
    if not me.intermediate:
        return False
    optuna = _optuna()
    study = _study(direction, pruner=pruner)
    for run in [*others, me]:
        state, value = _told(_state(run.state), run.value)
        study.add_trial(
            optuna.trial.create_trial(
                state=state, value=value, intermediate_values=run.intermediate
            )
        )
    frozen = study.get_trials(deepcopy=False)[-1]
    return bool(pruner.prune(study, frozen))
