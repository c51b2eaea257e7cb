"""``kuro export GROUP``: every experiment, trial and full series of a group, as the
server's JSON export (schema ``kuro.export/1``) or as a flat CSV, one row per point."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="write a group's experiments, trials and series")
    export.add_argument("group")
    export.add_argument(
        "--format",
        choices=["json", "csv"],
        help="json (the server's export schema) or csv (one row per point); "
        "default: from the file name, else json",
    )
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.add_argument("--server", help="server URL (default: KURO_SERVER)")
    export.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from kuro import Api
    from kuro.core.export import write_csv

    fmt = args.format or ("csv" if args.output and args.output.suffix == ".csv" else "json")
    with Api(args.server) as api:
        doc = api.export(args.group)
    with contextlib.ExitStack() as stack:
        out = (
            stack.enter_context(args.output.open("w", newline="", encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        if fmt == "csv":
            n = write_csv(doc, out)
        else:
            json.dump(doc, out, allow_nan=False)
            out.write("\n")
            n = sum(
                len(s["steps"])
                for e in doc["experiments"]
                for t in e["trials"]
                for s in t.get("series", {}).values()
            )
    if args.output:
        trials = sum(len(e["trials"]) for e in doc["experiments"])
        print(
            f"kuro export: {len(doc['experiments'])} experiments, {trials} trials, {n:,} points "
            f"of group {args.group!r} written to {args.output} ({fmt})",
            file=sys.stderr,
        )
    return 0
