"""A server process keeps the memory a request freed for the next one (glibc), so a read's
arrays of a few MB do not fault in fresh pages every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kuro.server.allocator import _GLIBC_SETTINGS, _glibc, allocator_keep, keep_bytes

# A Django process (the tracking app set up, as in every server process) that allocates
# and frees 24 MB of arrays 20 times, as 20 series reads would, after one round to warm
# up; it prints the page faults of those 20 rounds.
ROUNDS = """
import resource

import django

django.setup()
arrays = None
for round_ in range(21):
    if round_ == 1:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [bytearray(6 * 1024 * 1024) for _ in range(4)]
    for array in arrays:
        array[::4096] = b"x" * len(array[::4096])
    arrays = None
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(tmp_path: Path, keep: str, extra: dict[str, str] | None = None) -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kuro.server.settings",
        "KURO_DATA_DIR": str(tmp_path),
        "KURO_MALLOC_KEEP_MB": keep,
    }
    env.pop("KURO_DATABASE_URL", None)  # no database is opened; none is needed
    for name in (*_GLIBC_SETTINGS, "GLIBC_TUNABLES"):  # the operator's, which would win
        env.pop(name, None)
    env.update(extra or {})
    done = subprocess.run([sys.executable, "-c", ROUNDS], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(_glibc() is None, reason="the allocator is tuned on glibc only")
def test_a_server_process_reuses_the_memory_a_request_freed(tmp_path):
    kept = _faults(tmp_path, "128")
    default = _faults(tmp_path, "0")
    # glibc's defaults give the freed arrays back to the kernel and fault them in again
    # (7,560 faults here); kept, the later rounds reuse them (1,536: one array's pages).
    assert kept * 3 < default, (kept, default)
    # A setting of glibc's own in the environment wins: here its default trim threshold.
    operator = _faults(tmp_path, "128", {"MALLOC_TRIM_THRESHOLD_": str(256 * 1024)})
    assert operator > kept * 3, (operator, kept)
    assert allocator_keep(keep_bytes())  # glibc took the setting (this process too)


def test_keep_bytes_reads_the_variable(monkeypatch):
    monkeypatch.delenv("KURO_MALLOC_KEEP_MB", raising=False)
    assert keep_bytes() == 128 * 1024 * 1024
    monkeypatch.setenv("KURO_MALLOC_KEEP_MB", "0")
    assert keep_bytes() == 0
    assert allocator_keep(0) is False  # glibc's defaults left alone
    monkeypatch.setenv("KURO_MALLOC_KEEP_MB", "32")
    assert keep_bytes() == 32 * 1024 * 1024
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000")
    assert allocator_keep(keep_bytes()) is False  # the operator's setting wins
    for bad in ("-1", "lots", "1.5", "8"):
        monkeypatch.setenv("KURO_MALLOC_KEEP_MB", bad)
        with pytest.raises(ValueError, match="KURO_MALLOC_KEEP_MB"):
            keep_bytes()
