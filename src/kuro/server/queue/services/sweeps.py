"""Sweeps: create one, ask its sampler for configurations, score what has finished."""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kuro.core.canonical import hyper_parameters_key, normalize
from kuro.core.errors import Conflict, InvalidInput
from kuro.server.queue.models import Sweep, SweepConfig
from kuro.server.queue.scoring import config_score, config_trials_done
from kuro.server.queue.services.enqueue import queue_trials
from kuro.server.queue.space import distributions_of, grid_size, validate_space
from kuro.server.queue.studies import (
    Config,
    ask,
    build_study,
    check_sampler,
    make_pruner,
    make_sampler,
)
from kuro.server.tracking.models import Experiment, Group, Metric, Trial
from kuro.server.tracking.selectors import trial_summaries
from kuro.server.tracking.services import (
    experiment_get_or_create,
    group_get_or_create,
    metric_get_or_create,
)

__all__ = ["sweep_ask", "sweep_create", "sweep_reconcile"]


def sweep_create(
    *,
    group: str,
    identifier: str,
    space: dict[str, dict[str, Any]],
    objective: str,
    mode: str | None = None,
    sampler: str = "tpe",
    seed: int | None = None,
    max_configs: int | None = None,
    n_trials: int = 1,
    pruner: str = "none",
    pruner_options: dict[str, Any] | None = None,
    fixed: dict[str, Any] | None = None,
    name: str = "",
    lease_seconds: int | None = None,
    max_retries: int | None = None,
) -> Sweep:
    """A new sweep; its objective metric is got or created in the group (its mode is the
    direction). ``max_configs`` defaults to the grid's size for the grid sampler."""
    validate_space(space)
    if sampler not in Sweep.Sampler.values:
        raise InvalidInput(
            f"sampler is one of {', '.join(Sweep.Sampler.values)}, not {sampler!r}",
            field="sampler",
        )
    if pruner not in Sweep.Pruner.values:
        raise InvalidInput(
            f"pruner is one of {', '.join(Sweep.Pruner.values)}, not {pruner!r}", field="pruner"
        )
    if seed is not None and not 0 <= seed < 2**32:
        raise InvalidInput("seed is between 0 and 2**32 - 1", field="seed")
    check_sampler(sampler, space)
    make_pruner(pruner, pruner_options or {})
    if max_configs is None:
        if sampler != "grid":
            raise InvalidInput("max_configs is needed for this sampler", field="max_configs")
        max_configs = grid_size(space)
    if max_configs < 1 or n_trials < 1:
        field = "max_configs" if max_configs < 1 else "n_trials"
        raise InvalidInput(f"{field} must be at least 1", field=field)
    fixed = fixed or {}
    normalize(fixed, field="fixed")
    overlap = set(fixed) & set(space)
    if overlap:
        raise InvalidInput(f"fixed and space both name {sorted(overlap)}", field="fixed")
    defaults = settings.KURO_QUEUE
    with transaction.atomic():
        group_obj = group_get_or_create(name=group)
        if mode is None:
            _check_objective(group_obj, objective)
        metric = metric_get_or_create(group=group_obj, name=objective, mode=mode, field="objective")
        return Sweep.objects.create(
            name=name,
            group=group_obj,
            identifier=identifier,
            space=space,
            fixed=fixed,
            objective=metric,
            sampler=sampler,
            seed=seed,
            max_configs=max_configs,
            n_trials=n_trials,
            pruner=pruner,
            pruner_options=pruner_options or {},
            lease_seconds=lease_seconds or defaults["lease_seconds"],
            max_retries=defaults["max_retries"] if max_retries is None else max_retries,
        )


def _check_objective(group: Group, objective: str) -> None:
    """A sweep whose objective no trial reports scores nothing: an objective that is not a
    metric of a group that has metrics (a typo, most likely) is refused, with the close
    names, unless the spec declares it with its mode. A group with no metrics yet has
    nothing to check against: its objective is made as declared or inferred."""
    names = list(Metric.objects.filter(group=group).values_list("name", flat=True))
    if not names or objective in names:
        return
    close = difflib.get_close_matches(objective, names, n=3)
    hint = f"did you mean {' or '.join(map(repr, close))}?" if close else f"it has {sorted(names)}"
    raise InvalidInput(
        f"objective {objective!r} is not a metric of group {group.name!r}: {hint} "
        "(to sweep on a new metric, give its mode)",
        field="objective",
        detail={"field": "objective", "objective": objective, "suggestions": close},
    )


def sweep_reconcile(*, sweep: Sweep) -> int:
    """Score every running configuration whose trials are all done (tell the sampler).
    Answers how many were scored; finishes the sweep when nothing is left to run."""
    running = list(sweep.configs.filter(state=SweepConfig.State.RUNNING))
    scored = 0
    if running:
        experiment_ids = [c.experiment_id for c in running]
        trials_of: dict[int, list[Trial]] = {}
        for t in Trial.objects.filter(experiment_id__in=experiment_ids).exclude(
            status=Trial.Status.LOST
        ):
            trials_of.setdefault(t.experiment_id, []).append(t)
        done = [c for c in running if config_trials_done(trials_of.get(c.experiment_id, []))]
        if done:
            summaries = trial_summaries(
                trial_ids=[t.pk for c in done for t in trials_of[c.experiment_id]]
            )
            now = timezone.now()
            for config in done:
                config.state, config.value = config_score(
                    trials=trials_of[config.experiment_id],
                    summaries=summaries,
                    objective=sweep.objective.name,
                )
                config.finished_at = now
                config.save(update_fields=["state", "value", "finished_at"])
            scored = len(done)
    if (
        sweep.status == Sweep.Status.RUNNING
        and sweep.configs.count() >= sweep.max_configs
        and not sweep.configs.filter(state=SweepConfig.State.RUNNING).exists()
    ):
        sweep.status = Sweep.Status.FINISHED
        sweep.save(update_fields=["status"])
    return scored


_ASK_ATTEMPTS = 5


def sweep_ask(*, sweep: Sweep) -> SweepConfig | None:
    """Ask the sampler for the next configuration and queue its ``n_trials`` trials; None
    when the sweep has proposed ``max_configs`` configurations already.

    The sampler runs outside any write transaction (TPE over a thousand configurations
    takes a while); the proposal is then stored only if no other process stored
    configuration ``number`` meanwhile (compare-and-set on the unique number), else the
    sampler is asked again with what is there now.
    """
    with transaction.atomic():
        sweep_reconcile(sweep=sweep)
    for _ in range(_ASK_ATTEMPTS):
        configs = list(sweep.configs.order_by("number"))
        if len(configs) >= sweep.max_configs:
            return None
        number = len(configs)
        params, system_attrs = _propose(sweep, configs)
        try:
            with transaction.atomic():
                return _store(sweep, number, params, system_attrs)
        except IntegrityError:
            continue  # another process stored this number first: ask again
    raise Conflict("too many concurrent proposals for this sweep; try again")


def _propose(sweep: Sweep, configs: list[SweepConfig]) -> tuple[dict[str, Any], dict[str, Any]]:
    distributions = distributions_of(sweep.space)
    # A seed per configuration number: a rebuilt sampler never repeats an earlier draw.
    seed = None if sweep.seed is None else sweep.seed * 1_000_003 + len(configs)
    study = build_study(
        direction=sweep.objective.mode,
        sampler=make_sampler(sweep.sampler, sweep.space, seed),
        distributions=distributions,
        configs=[Config(c.params, c.state, c.value, c.system_attrs) for c in configs],
    )
    return ask(study, distributions)


def _store(
    sweep: Sweep, number: int, params: dict[str, Any], system_attrs: dict[str, Any]
) -> SweepConfig:
    hyper_parameters = {**sweep.fixed, **params}
    if Experiment.objects.filter(
        group=sweep.group,
        identifier=sweep.identifier,
        hyper_parameters_key=hyper_parameters_key(hyper_parameters),
    ).exists():
        # The same setting again (a sampler may repeat one, or it ran outside the
        # sweep): a configuration of its own, told apart by one reserved key.
        hyper_parameters["kuro_sweep_config"] = f"{sweep.pk}.{number}"
    experiment = experiment_get_or_create(
        group=sweep.group.name,
        identifier=sweep.identifier,
        hyper_parameters=hyper_parameters,
        n_trials=sweep.n_trials,
        metrics=[(sweep.objective.name, sweep.objective.mode)],
    )
    config = SweepConfig.objects.create(
        sweep=sweep,
        number=number,
        experiment=experiment,
        params=params,
        system_attrs=system_attrs,
    )
    queue_trials(
        experiment=experiment,
        lease_seconds=sweep.lease_seconds,
        max_retries=sweep.max_retries,
    )
    return config
