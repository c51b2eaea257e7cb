"""``kuro sweep create``, ``kuro sweep status`` and ``kuro sweep list``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from kuro.cli.spec import read_spec
from kuro.core.errors import InvalidInput
from kuro.core.values import decode_value

__all__ = ["register"]


def register(commands: Any) -> None:
    sweep = commands.add_parser("sweep", help="hyper-parameter sweeps with Optuna")
    actions = sweep.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create a sweep from a spec file (JSON or YAML)",
        description=(
            "A spec: group, identifier, objective (a metric; its mode is the direction, or "
            "give mode), space {name: {type: float|int, low, high, log, step} | {type: "
            "categorical, choices: [...]}}, sampler (tpe, random, grid, cmaes, gp), "
            "max_configs, n_trials (repeats per configuration), pruner (none, median, "
            "hyperband) and pruner_options, fixed (shared hyper-parameters), seed, name."
        ),
    )
    create.add_argument("spec", help="spec file (.json, .yaml), or - for stdin")
    create.add_argument("--server")
    create.set_defaults(run=_create)
    status = actions.add_parser("status", help="progress and the best configuration")
    status.add_argument("id", type=int)
    status.add_argument("--json", action="store_true", help="print the whole status as JSON")
    status.add_argument("--server")
    status.set_defaults(run=_status)
    listing = actions.add_parser("list", help="every sweep")
    listing.add_argument("--server")
    listing.set_defaults(run=_list)


def _create(args: argparse.Namespace) -> int:
    from kuro import Api

    spec = read_spec(args.spec)
    if not isinstance(spec, dict):
        raise InvalidInput("a sweep spec is an object", field="spec")
    with Api(args.server) as api:
        sweep = api.sweep_create(**spec)
    print(sweep["id"])
    print(
        f"kuro: sweep {sweep['id']} on {sweep['group']}/{sweep['identifier']}: "
        f"{sweep['sampler']}, {sweep['max_configs']} configurations x {sweep['n_trials']} "
        f"trials, {sweep['mode']} {sweep['objective']}. Run agents with: "
        f"kuro agent --sweep {sweep['id']} -- python train.py",
        file=sys.stderr,
    )
    return 0


def _fmt(value: float | str | None) -> str:
    """A wire value for people: NaN or none is a dash, infinities are ``inf``/``-inf``."""
    number = math.nan if value is None else decode_value(value)
    return "-" if math.isnan(number) else f"{number:.6g}"


def _interval(low: float | str | None, high: float | str | None) -> str:
    """The 95% interval of a mean as ``[low, high]``; a dash when there is none (one trial,
    an infinite value, or a server that does not send it)."""
    if _fmt(low) == "-" or _fmt(high) == "-":
        return "[-]"
    return f"[{_fmt(low)}, {_fmt(high)}]"


def _status(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        sweep = api.sweep(args.id)
    if args.json:
        print(json.dumps(sweep, indent=2))
        return 0
    counts = sweep["status_counts"]
    print(
        f"sweep {sweep['id']} {sweep['name'] or ''} ({sweep['status']}): "
        f"{sweep['group']}/{sweep['identifier']}, {sweep['sampler']}, "
        f"{sweep['mode']} {sweep['objective']}"
    )
    print(
        f"configurations: {sweep['n_configs']} of {sweep['max_configs']}; trials: "
        + ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
    )
    best = sweep["best"]
    if best is None:
        print("best: none scored yet")
    else:
        print(
            f"best: configuration {best['number']} {sweep['objective']} = "
            f"{_fmt(best['mean'])} {_interval(best.get('ci_low'), best.get('ci_high'))} "
            f"over {best['n_complete']} trial{'' if best['n_complete'] == 1 else 's'} "
            f"(mean [95% interval]; std {_fmt(best['std'])})"
        )
        print("      " + json.dumps(best["params"], sort_keys=True))
    return 0


def _list(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        sweeps = api.sweeps()
    if not sweeps:
        print("no sweeps (create one with: kuro sweep create spec.yaml)")
    for s in sweeps:
        print(
            f"{s['id']:>5}  {s['status']:<9} {s['n_configs']:>4}/{s['max_configs']:<5} "
            f"{s['sampler']:<7} {s['group']}/{s['identifier']}  {s['name']}"
        )
    return 0
