"""What a worker says of its machine when it registers: CPU, memory, GPUs, host, Python.

Every probe fails silently to an empty value: a registration never breaks training.
GPUs are read through NVML when ``pynvml`` (the ``nvidia-ml-py`` package) is importable.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
from pathlib import Path
from typing import Any

__all__ = ["cpu_brand", "gpus", "memory_gib", "system_info"]


def cpu_brand() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 2)
    except (AttributeError, ValueError, OSError):
        return None


def gpus() -> list[dict[str, Any]]:
    """Name and memory of each GPU NVML sees; none without NVML, silently."""
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # no driver, no device: a machine without GPUs
        return []
    try:
        found = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle).total
            found.append(
                {
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "memory_gib": round(memory / 2**30, 2),
                }
            )
        return found
    except Exception:
        return []
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def system_info() -> dict[str, Any]:
    """The body of ``POST /workers`` apart from the name."""
    return {
        "cpu": cpu_brand()[:300],
        "memory_gib": memory_gib(),
        "gpus": gpus(),
        "hostname": socket.gethostname()[:300],
        "platform": platform.platform()[:300],
        "python_version": platform.python_version(),
    }
