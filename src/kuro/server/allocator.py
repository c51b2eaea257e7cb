"""How a server process's memory allocator keeps the memory it frees (glibc only).

A series read or a batch works on arrays of a few MB: the blocks of 2,000 chunks (6 MB),
their columns, numpy's temporaries. glibc serves an allocation above its *mmap threshold*
(128 kB at first, raised up to 32 MB as such blocks are freed) with fresh pages from the
kernel, and gives the top of its heap back to the kernel once more than its *trim
threshold* (twice the mmap threshold) is free there. Either way the next request's arrays
land on pages the kernel must map and zero again, one fault per 4 kB page: measured on a
downsampled read of 100 trials x 10,000 steps (``python -m benchmarks storage``'s), a
quarter of its time (44 ms, 32 ms with this), and of a read of 100 x 1,000 steps (35 ms,
28 ms).

So the server keeps up to ``KURO_MALLOC_KEEP_MB`` (128) of freed memory for its next
requests: ``M_TRIM_THRESHOLD`` is that, and ``M_MMAP_THRESHOLD`` 32 MB (glibc's own upper
bound for it; larger blocks, a big export's, still come from the kernel and go back to
it). A process's memory after a large request stays up to that much above what it holds.
``0`` leaves glibc's defaults. Other C libraries (musl, macOS) are left as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["allocator_keep", "keep_bytes"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024


def keep_bytes() -> int:
    """``KURO_MALLOC_KEEP_MB`` in bytes (128 MB when unset)."""
    raw = os.environ.get("KURO_MALLOC_KEEP_MB", "128").strip()
    try:
        megabytes = int(raw)
    except ValueError:
        raise ValueError(f"KURO_MALLOC_KEEP_MB must be a whole number of MB, not {raw!r}") from None
    if megabytes < 0:
        raise ValueError(f"KURO_MALLOC_KEEP_MB must be 0 or more, not {megabytes}")
    return megabytes * 1024 * 1024


def allocator_keep(keep: int) -> bool:
    """Keep up to ``keep`` bytes of freed memory in this process (see the module); whether
    the allocator took it (False: ``keep`` is 0, or the C library is not glibc)."""
    if keep <= 0:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - glibc's own function, else not glibc
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt takes an int: at most 2 GB.
    keep = min(keep, 2**31 - 1)
    return bool(
        mallopt(_M_MMAP_THRESHOLD, min(MMAP_THRESHOLD, keep)) and mallopt(_M_TRIM_THRESHOLD, keep)
    )
