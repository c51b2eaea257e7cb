"""``kuro queue add`` and ``kuro queue status``: put work on the server's queue, see it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kuro.cli.spec import read_spec
from kuro.core.errors import InvalidInput

__all__ = ["register"]


def register(commands: Any) -> None:
    queue = commands.add_parser("queue", help="queue work for agents and workers")
    actions = queue.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="queue experiments: from a spec file (JSON or YAML) or from flags",
        description=(
            "A spec is {group, identifier, hyper_parameters, grid, n_trials, lease_seconds, "
            "max_retries}, or a list of them, or {experiments: [...]}; grid maps names to "
            "lists of values and queues every combination."
        ),
    )
    add.add_argument("spec", nargs="?", help="spec file (.json, .yaml), or - for stdin")
    add.add_argument("--group")
    add.add_argument("--identifier")
    add.add_argument("--hyper-parameters", type=json.loads, default=None, metavar="JSON")
    add.add_argument("--grid", type=json.loads, default=None, metavar="JSON")
    add.add_argument("--n-trials", type=int, default=None)
    add.add_argument("--server")
    add.set_defaults(run=_add)
    status = actions.add_parser("status", help="counts of queued work by status")
    status.add_argument("--group")
    status.add_argument("--sweep", type=int)
    status.add_argument("--server")
    status.set_defaults(run=_status)


def _entries(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.spec:
        spec = read_spec(args.spec)
        entries = spec.get("experiments", [spec]) if isinstance(spec, dict) else spec
    else:
        entries = [{}]
    flags = {
        "group": args.group,
        "identifier": args.identifier,
        "hyper_parameters": args.hyper_parameters,
        "grid": args.grid,
        "n_trials": args.n_trials,
    }
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise InvalidInput("each queue spec entry is an object", field="spec")
        merged = {**entry, **{k: v for k, v in flags.items() if v is not None}}
        missing = [k for k in ("group", "identifier") if not merged.get(k)]
        if missing:
            raise InvalidInput(f"missing {', '.join(missing)}", field=missing[0])
        out.append(merged)
    return out


def _add(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        total = 0
        for entry in _entries(args):
            answer = api.enqueue(**entry)
            total += answer["queued"]
            print(
                f"{entry['group']}/{entry['identifier']}: {len(answer['experiments'])} "
                f"settings, {answer['queued']} trials queued"
            )
    print(f"kuro: {total} trials queued")
    return 0


def _status(args: argparse.Namespace) -> int:
    from kuro import Api

    with Api(args.server) as api:
        answer = api.queue_status(group=args.group, sweep=args.sweep)
    counts = answer["counts"]
    order = ["queued", "running", "complete", "failed", "pruned", "lost"]
    print("  ".join(f"{s}: {counts.get(s, 0)}" for s in order) + f"  total: {answer['total']}")
    return 0
