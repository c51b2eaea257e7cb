"""How a server process's memory allocator keeps the memory it frees (glibc only).

A series read or a batch works on arrays of a few MB: the blocks of 2,000 chunks (6 MB),
their columns, numpy's temporaries. glibc serves an allocation above its *mmap threshold*
(128 kB at first, raised up to 32 MB as such blocks are freed) with fresh pages from the
kernel, and gives the top of its heap back to the kernel once more than its *trim
threshold* (twice the mmap threshold) is free there. Either way the next request's arrays
land on pages the kernel must map and zero again, one fault per 4 kB page: measured on a
downsampled read of 100 trials x 10,000 steps (``python -m benchmarks storage``'s), a
quarter of its time on SQLite (45 ms, 33 ms with this), and of a read of 100 x 1,000 steps
a fifth (36 ms, 29 ms).

So a server process keeps up to ``KURO_MALLOC_KEEP_MB`` (128, at least 32) of freed memory
for its next requests: ``M_TRIM_THRESHOLD`` is that, and ``M_MMAP_THRESHOLD`` 32 MB (glibc's
own upper bound for it; larger blocks, a big export's, still come from the kernel and go
back to it). That is per worker process with gevent workers (one thread); with ``gthread``
workers each request thread allocates in an arena of its own, whose heaps glibc then keeps
too (up to 64 MB each). ``0`` leaves glibc's defaults, and so does a setting of glibc's own
(``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``GLIBC_TUNABLES`` naming
``glibc.malloc``): the operator's choice wins. Other C libraries (musl, macOS) are left as
they are; an allocator preloaded in glibc's place (jemalloc, tcmalloc) is not affected,
glibc's settings apply to glibc's own allocator.

``allocator_release`` gives the process's free memory back at once: ``kuro server`` calls it
before its workers start, so that the memory the startup freed (migrations, the dashboard's
pages built once) stays neither in the master process nor in every worker.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["allocator_keep", "allocator_release", "keep_bytes"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
_GLIBC_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_bytes() -> int:
    """``KURO_MALLOC_KEEP_MB`` in bytes (128 MB when unset; 0, or at least 32 MB)."""
    raw = os.environ.get("KURO_MALLOC_KEEP_MB", "128").strip()
    try:
        megabytes = int(raw)
    except ValueError:
        raise ValueError(f"KURO_MALLOC_KEEP_MB must be a whole number of MB, not {raw!r}") from None
    if megabytes != 0 and megabytes < MMAP_THRESHOLD >> 20:
        # Below the arrays' size they would come from the kernel every time: worse than 0.
        raise ValueError(f"KURO_MALLOC_KEEP_MB must be 0 or at least 32, not {megabytes}")
    return megabytes * 1024 * 1024


def _glibc() -> ctypes.CDLL | None:
    """The C library this process runs on, if it is glibc with its own allocator."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc's own function, else not glibc
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def _operator_set() -> bool:
    """Whether glibc's allocator is configured in the environment already."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return any(os.environ.get(name) for name in _GLIBC_SETTINGS) or "glibc.malloc." in tunables


def allocator_keep(keep: int) -> bool:
    """Keep up to ``keep`` bytes of freed memory in this process (see the module); whether
    glibc took the setting (False: ``keep`` is 0, glibc is configured in the environment
    already, or the C library is not glibc)."""
    if keep <= 0 or _operator_set():
        return False
    libc = _glibc()
    if libc is None:
        return False
    # mallopt takes an int: at most 2 GB.
    keep = max(MMAP_THRESHOLD, min(keep, 2**31 - 1))
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, keep)
    )


def allocator_release() -> None:
    """Give the memory this process holds free back to the kernel now (glibc)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
