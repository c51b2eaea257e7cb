"""``kuro compare GROUP --metric M``: the group's settings ranked on one metric, each with
its mean and 95% interval over complete trials, and its comparison with the leader."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.core.comparison import STATISTICS
from kuro.core.errors import InvalidInput
from kuro.core.labels import experiment_labels

__all__ = ["format_table", "register"]

_LABEL_WIDTH = 64  # a terminal is wider than a chart's margin (the dashboard's 48)


def register(commands: Any) -> None:
    compare = commands.add_parser(
        "compare", help="rank a group's settings on a metric, with intervals and tests"
    )
    compare.add_argument("group")
    compare.add_argument("--metric", required=True, help="the metric to compare on")
    compare.add_argument(
        "--statistic",
        choices=STATISTICS,
        help="each trial's value: its best (by the metric's mode), its last, its value at "
        "--step, or its summary value (default: best; step when --step is given)",
    )
    compare.add_argument(
        "--step", type=int, help="the step, with --statistic step (which it implies)"
    )
    compare.add_argument(
        "--bootstrap", type=int, default=0, help="bootstrap resamples for a second interval"
    )
    compare.add_argument("--json", action="store_true", help="print the server's JSON answer")
    compare.add_argument("--server", help="server URL (default: KURO_SERVER)")
    compare.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from kuro import Api

    if args.statistic is None:
        args.statistic = "best" if args.step is None else "step"
    elif args.step is not None and args.statistic != "step":
        # As the API answers: a ranking on another statistic than the one asked for would
        # read as an answer to the question asked.
        raise InvalidInput(
            f"--step goes with --statistic step, not --statistic {args.statistic}",
            field="--step",
        )
    with Api(args.server) as api:
        answer = api.compare(
            args.group,
            args.metric,
            statistic=args.statistic,
            step=args.step,
            bootstrap=args.bootstrap,
            encoded=args.json,
        )
    if args.json:
        print(json.dumps(answer, indent=2, allow_nan=False))
    else:
        print(format_table(answer))
    return 0


def _number(value: float | None) -> str:
    """Four significant digits; a dash for no value; infinities spelled out."""
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:#.4g}".rstrip(".")  # 0.9200, not 0.92: columns of one precision


def _signed(value: float) -> str:
    """A difference with its sign; a tie in words, never "+0"."""
    if value == 0:
        return "tied"
    text = _number(value)
    return text if text.startswith("-") or text == "-" else f"+{text}"


def _labels(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each setting as the dashboard names it (``kuro.core.labels``): identifier, id and at
    most four of the hyper-parameters that differ, the identifier cut first."""
    experiments = [
        {"id": r["experiment_id"], **{k: r[k] for k in ("identifier", "hyper_parameters")}}
        for r in rows
    ]
    labels = experiment_labels(experiments, width=_LABEL_WIDTH)
    return [labels[r["experiment_id"]] for r in rows]


def format_table(answer: Mapping[str, Any]) -> str:
    """The comparison as a ranked table with the verdict of each setting against the leader.

    >>> row = {"experiment_id": 7, "identifier": "dan", "hyper_parameters": {"lr": 0.1},
    ...        "n": 3, "mean": 0.92, "ci_low": 0.9, "ci_high": 0.94, "rank": 1,
    ...        "versus_leader": None}
    >>> print(format_table({"group": "g", "metric": "acc", "mode": "max",
    ...                     "statistic": "best", "step": None, "experiments": [row]}))
    g: acc (max), best value of each complete trial; mean with its 95% interval
    rank  setting  n  mean    95% interval      vs leader  P(leader better)  verdict
    1     dan #7   3  0.9200  [0.9000, 0.9400]  -          -                 leader
    """
    rows = answer["experiments"]
    statistic = {
        "best": "best value",
        "last": "last value",
        "summary": "summary value",
        "step": f"value at step {answer.get('step')}",
    }[answer["statistic"]]
    title = (
        f"{answer['group']}: {answer['metric']} ({answer['mode']}), {statistic} of each "
        "complete trial; mean with its 95% interval"
    )
    header = ["rank", "setting", "n", "mean", "95% interval", "vs leader", "P(leader better)"]
    table = [[*header, "verdict"]]
    for row, label in zip(rows, _labels(rows), strict=True):
        versus = row["versus_leader"]
        interval = (
            "-"
            if math.isnan(row["ci_low"])
            else f"[{_number(row['ci_low'])}, {_number(row['ci_high'])}]"
        )
        if versus is None:
            verdict = "leader" if row["rank"] == 1 and row["n"] else "no value to compare"
            ahead = chance = "-"
        else:
            verdict = versus["verdict"]
            ahead = _signed(versus["difference"])
            chance = _number(versus["probability_of_improvement"])
        rank = str(row["rank"]) if row["n"] else "-"  # no value, no place in the ranking
        cells = [rank, label, str(row["n"]), _number(row["mean"]), interval]
        table.append([*cells, ahead, chance, verdict])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [title]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
    if not any(row["n"] for row in rows):
        lines.append(f"No setting has a {statistic} to compare: no complete trial has one.")
    return "\n".join(lines)
