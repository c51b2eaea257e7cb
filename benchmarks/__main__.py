"""``python -m benchmarks [NAME ...]``: run the benchmarks (all by default) and print figures.

Each benchmark is a module here with ``run() -> None`` that prints its figures through
``benchmarks.report``; each figure stands beside a baseline measured in the same run,
because these machines are shared and noisy.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = ["server", "client", "dashboard", "compare", "queue", "load", "storage"]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
            return 2
    for name in names:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").run()
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
