"""``python -m benchmarks [NAME ...]``: run the benchmarks (all by default) and print figures.

Each benchmark is a module here with ``run() -> None`` that prints its figures through
``benchmarks.report``; each figure stands beside a baseline measured in the same run,
because these machines are shared and noisy.

The PostgreSQL figures need a server: ``KURO_DATABASE_URL`` names it; unset, a local one
at ``LOCAL_POSTGRESQL`` is used when it answers (``make bench`` on a machine that runs
PostgreSQL prints every figure), and those figures are skipped, saying so, when none
does. The benchmarks make scratch databases beside the one named and drop them.
``KURO_BENCH_POSTGRESQL=off`` skips them.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

LOCAL_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/postgres"

BENCHMARKS = ["server", "client", "dashboard", "compare", "queue", "load", "storage"]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
            return 2
    _postgresql()
    for name in names:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").run()
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0


def _postgresql() -> None:
    """Set ``KURO_DATABASE_URL`` to the local PostgreSQL when unset and it answers."""
    if os.environ.get("KURO_BENCH_POSTGRESQL") == "off":
        os.environ.pop("KURO_DATABASE_URL", None)
        print("(PostgreSQL figures skipped: KURO_BENCH_POSTGRESQL=off)", flush=True)
        return
    if os.environ.get("KURO_DATABASE_URL"):
        return
    try:
        import psycopg

        psycopg.connect(LOCAL_POSTGRESQL, connect_timeout=3).close()
    except Exception as exc:  # no driver, no server, no access: SQLite only
        print(f"(no PostgreSQL at {LOCAL_POSTGRESQL}: {type(exc).__name__}; set", end=" ")
        print("KURO_DATABASE_URL for the PostgreSQL figures)", flush=True)
        return
    os.environ["KURO_DATABASE_URL"] = LOCAL_POSTGRESQL
    print(f"(PostgreSQL figures on {LOCAL_POSTGRESQL}: KURO_DATABASE_URL is unset)", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
