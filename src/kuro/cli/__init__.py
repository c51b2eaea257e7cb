"""The ``kuro`` command line. Server commands import Django only when they run, so the
client-only install can still use the client commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kuro._version import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from kuro.cli import accounts, agent, compare, export, queue, server, sweep, sync

    parser = argparse.ArgumentParser(prog="kuro", description="Kuro experiment management.")
    parser.add_argument("--version", action="version", version=f"kuro {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server.register(commands)
    sync.register(commands)
    export.register(commands)
    compare.register(commands)
    accounts.register(commands)
    queue.register(commands)
    sweep.register(commands)
    agent.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``kuro`` command and answer its exit status."""
    args = _parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
