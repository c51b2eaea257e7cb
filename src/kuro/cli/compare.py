"""``kuro compare GROUP --metric M``: the group's settings ranked on one metric, each with
its mean and 95% interval over complete trials, and its comparison with the leader."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.core.comparison import STATISTICS

__all__ = ["format_table", "register"]

_MAX_KEYS = 4


def register(commands: Any) -> None:
    compare = commands.add_parser(
        "compare", help="rank a group's settings on a metric, with intervals and tests"
    )
    compare.add_argument("group")
    compare.add_argument("--metric", required=True, help="the metric to compare on")
    compare.add_argument(
        "--statistic",
        choices=STATISTICS,
        default="best",
        help="each trial's value: its best (by the metric's mode), its last, its value at "
        "--step, or its summary value (default: best)",
    )
    compare.add_argument("--step", type=int, help="the step, with --statistic step")
    compare.add_argument(
        "--bootstrap", type=int, default=0, help="bootstrap resamples for a second interval"
    )
    compare.add_argument("--json", action="store_true", help="print the server's JSON answer")
    compare.add_argument("--server", help="server URL (default: KURO_SERVER)")
    compare.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from kuro import Api

    if args.step is not None and args.statistic != "step":
        args.statistic = "step"
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
    """The identifier with the hyper-parameters that differ across the rows (at most four)."""
    keys = sorted({k for row in rows for k in row["hyper_parameters"]})
    differing = [
        k
        for k in keys
        if len({json.dumps(row["hyper_parameters"].get(k), sort_keys=True) for row in rows}) > 1
    ]
    shown, hidden = differing[:_MAX_KEYS], len(differing) - _MAX_KEYS
    labels = []
    for row in rows:
        parts = [f"{k}={json.dumps(row['hyper_parameters'].get(k))}" for k in shown]
        label = " ".join([row["identifier"], *parts]) + (f" (+{hidden} keys)" if hidden > 0 else "")
        labels.append(label if len(label) <= 48 else label[:47] + "…")
    return labels


def format_table(answer: Mapping[str, Any]) -> str:
    """The comparison as a ranked table with the verdict of each setting against the leader.

    >>> row = {"identifier": "dan", "hyper_parameters": {"lr": 0.1}, "n": 3, "mean": 0.92,
    ...        "ci_low": 0.9, "ci_high": 0.94, "rank": 1, "versus_leader": None}
    >>> print(format_table({"group": "g", "metric": "acc", "mode": "max",
    ...                     "statistic": "best", "step": None, "experiments": [row]}))
    g: acc (max), best value of each complete trial; mean with its 95% interval
    rank  setting  n  mean    95% interval      vs leader  P(leader better)  verdict
    1     dan      3  0.9200  [0.9000, 0.9400]  -          -                 leader
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
            verdict = "leader" if row["rank"] == 1 and row["n"] else "no complete trial"
            ahead = chance = "-"
        else:
            verdict = versus["verdict"]
            ahead = _signed(versus["difference"])
            chance = _number(versus["probability_of_improvement"])
        cells = [str(row["rank"]), label, str(row["n"]), _number(row["mean"]), interval]
        table.append([*cells, ahead, chance, verdict])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [title]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(lines)
