"""``kuro sync``: upload what clients left in the spool (offline runs, unsent points)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    sync = commands.add_parser(
        "sync", help="upload the spooled points, trials and experiments to the server"
    )
    sync.add_argument("--server", help="server URL (default: KURO_SERVER, else as recorded)")
    sync.add_argument(
        "--spool-dir", type=Path, help="spool directory (default: KURO_SPOOL_DIR, ~/.kuro/spool)"
    )
    sync.set_defaults(run=_run)


def _bar(requests: int, of: int, points: int, points_of: int) -> None:
    width = 30
    filled = width * requests // of if of else width
    sys.stderr.write(
        f"\r  [{'#' * filled}{'.' * (width - filled)}] {requests}/{of} requests, "
        f"{points:,}/{points_of:,} points"
    )
    sys.stderr.flush()


def _run(args: argparse.Namespace) -> int:
    from kuro.client._sync import sync

    report = sync(args.spool_dir, args.server, progress=_bar if sys.stderr.isatty() else None)
    if sys.stderr.isatty() and report.requests_total:
        sys.stderr.write("\n")
    where = ", ".join(sorted(report.servers)) or "the server"
    if not report.requests_total:
        print("kuro sync: nothing to upload")
    else:
        extra = (
            f" ({report.extra_trials} beyond n_trials, marked extra)" if report.extra_trials else ""
        )
        print(
            f"kuro sync: sent {report.points:,} points in {report.requests:,} requests from "
            f"{report.sessions} session(s) to {where}; {report.trials} trials{extra}"
        )
    for path in report.busy:
        print(f"kuro sync: skipped {path}: a running program is still using it")
    if report.refused:
        print(
            f"kuro sync: the server refused {len(report.refused)} requests; they are kept with "
            f"its answers in {report.refused[0].parent}",
            file=sys.stderr,
        )
    if report.unreachable is not None:
        print(
            f"kuro sync: stopped, the server cannot be reached ({report.unreachable}); "
            f"{report.left:,} requests are left in the spool: run kuro sync again",
            file=sys.stderr,
        )
    return 1 if report.unreachable is not None or report.refused else 0
