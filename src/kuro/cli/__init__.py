"""The ``kuro`` command line. Server commands import Django only when they run, so the
client-only install can still use the client commands.

Errors are answered here, once for every command: a ``KuroError`` or an ``OSError`` (a
file that cannot be read or written) is one line, ``kuro <command>: <message>``, on stderr
and exit status 1, never a traceback; a reader that closed the pipe (``kuro export G |
head``) ends the command quietly with status 0, as git does."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from kuro._version import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from kuro.cli import accounts, agent, compare, export, queue, server, sweep, sync, tag

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
    tag.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``kuro`` command and answer its exit status."""
    from kuro.core.errors import KuroError

    args = _parser().parse_args(argv)
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at interpreter exit
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KuroError as exc:
        field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
        where = f" (at {field})" if field and str(field) not in exc.message else ""
        _fail(args, f"{exc.message}{where}")
    except OSError as exc:
        _fail(args, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
    return 1


def _fail(args: argparse.Namespace, message: str) -> None:
    command = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    with contextlib.suppress(OSError):  # stderr itself gone: the exit status says it
        print(f"kuro {command}: {message}", file=sys.stderr, flush=True)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's own flush at exit does not fail on
    the closed pipe (and print a second error)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
