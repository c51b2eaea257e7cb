"""What a worker says of its machine when it registers (CPU, memory, GPUs, host, Python),
and the system samples a ``SystemProbe`` takes while trials run.

Every probe fails silently to an empty value: a registration or a sample never breaks
training. GPUs are read through NVML when ``pynvml`` (the ``nvidia-ml-py`` package, the
``gpu`` extra) is importable; CPU and memory from ``/proc`` on Linux, from ``os.times`` and
``resource`` elsewhere, with no dependency.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import time
from pathlib import Path
from typing import Any

__all__ = ["SystemProbe", "cpu_brand", "gpus", "memory_gib", "system_info"]


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


_MIB = 2**20


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _system_cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs since boot, from ``/proc/stat``; None elsewhere."""
    text = _read("/proc/stat")
    if not text or not text.startswith("cpu "):
        return None
    fields = [float(x) for x in text.split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])  # guest times are already counted in user and nice
    return total - idle, total


def _process_memory_mib() -> float | None:
    """Resident memory of this process: ``/proc/self/statm``, else the peak from
    ``resource`` (all macOS offers without a dependency)."""
    statm = _read("/proc/self/statm")
    if statm:
        with contextlib.suppress(ValueError, IndexError, OSError):
            return int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE") / _MIB
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / _MIB if platform.system() == "Darwin" else peak / 1024


def _system_memory() -> dict[str, float]:
    """Used memory of the machine (total less available), from ``/proc/meminfo``."""
    text = _read("/proc/meminfo")
    if not text:
        return {}
    kib: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable"):
            with contextlib.suppress(ValueError, IndexError):
                kib[name] = int(rest.split()[0])
    total, available = kib.get("MemTotal"), kib.get("MemAvailable")
    if not total or available is None:
        return {}
    used = total - available
    return {"system_memory_used_mib": used / 1024, "system_memory_percent": 100 * used / total}


class SystemProbe:
    """Takes system samples: ``sample()`` answers ``{name: value}`` with

    - ``cpu_percent``: this process's CPU use since the last sample (100 = one core busy),
    - ``system_cpu_percent``: the machine's, over all cores (100 = all busy; Linux),
    - ``memory_mib``: this process's resident memory,
    - ``system_memory_used_mib``, ``system_memory_percent``: the machine's (Linux),
    - ``gpu<i>_utilization_percent``, ``gpu<i>_memory_mib``, ``gpu<i>_memory_percent``:
      each device NVML sees.

    A value that cannot be read is left out. Not thread-safe: one thread samples. NVML is
    started at the first sample and shut down by ``close``."""

    def __init__(self) -> None:
        self._last_cpu: tuple[float, float] | None = None  # (process CPU s, wall s)
        self._last_system: tuple[float, float] | None = None
        self._nvml: Any = None
        self._nvml_tried = False

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        with contextlib.suppress(Exception):
            self._cpu(values)
        with contextlib.suppress(Exception):
            memory = _process_memory_mib()
            if memory is not None:
                values["memory_mib"] = round(memory, 2)
        with contextlib.suppress(Exception):
            values.update({k: round(v, 2) for k, v in _system_memory().items()})
        with contextlib.suppress(Exception):
            self._gpus(values)
        return values

    def _cpu(self, values: dict[str, float]) -> None:
        times = os.times()
        now = (times.user + times.system, time.monotonic())
        last, self._last_cpu = self._last_cpu, now
        if last is not None and now[1] > last[1]:
            values["cpu_percent"] = round(100 * (now[0] - last[0]) / (now[1] - last[1]), 2)
        system = _system_cpu_times()
        last_system, self._last_system = self._last_system, system
        if system is not None and last_system is not None and system[1] > last_system[1]:
            busy = (system[0] - last_system[0]) / (system[1] - last_system[1])
            values["system_cpu_percent"] = round(100 * busy, 2)

    def _gpus(self, values: dict[str, float]) -> None:
        if not self._nvml_tried:
            self._nvml_tried = True
            try:
                import pynvml

                pynvml.nvmlInit()
            except Exception:  # no pynvml, no driver: a machine without GPUs
                return
            self._nvml = pynvml
        nvml = self._nvml
        if nvml is None:
            return
        for i in range(nvml.nvmlDeviceGetCount()):
            with contextlib.suppress(Exception):  # one device failing hides only itself
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                rates = nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                values[f"gpu{i}_utilization_percent"] = float(rates.gpu)
                values[f"gpu{i}_memory_mib"] = round(memory.used / _MIB, 2)
                if memory.total:
                    values[f"gpu{i}_memory_percent"] = round(100 * memory.used / memory.total, 2)

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._nvml = None
