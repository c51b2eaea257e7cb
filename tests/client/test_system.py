"""What a worker says of its machine; GPUs through NVML when present, silently none else."""

from __future__ import annotations

import sys
import types

from kuro.client._system import gpus, system_info


def test_system_info_describes_the_machine():
    """CPU, memory, hostname, platform and Python version are filled in."""
    info = system_info()
    assert info["cpu"] and info["hostname"] and info["platform"]
    assert info["memory_gib"] > 0
    assert info["python_version"] == ".".join(map(str, sys.version_info[:3]))


def test_no_nvml_means_no_gpus(monkeypatch):
    """Without pynvml importable, the list of GPUs is empty."""
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert gpus() == []


def test_nvml_without_a_driver_is_silent(monkeypatch):
    """NVML failing to start (no driver) means no GPUs, not an error."""

    def fail() -> None:
        raise RuntimeError("NVML Shared Library Not Found")

    monkeypatch.setitem(sys.modules, "pynvml", types.SimpleNamespace(nvmlInit=fail))
    assert gpus() == []


def test_gpus_are_read_through_nvml(monkeypatch):
    """Each device's name and total memory come from NVML."""
    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: [b"Tesla V100", "A100"][h],
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(total=16 * 2**30),
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert gpus() == [
        {"name": "Tesla V100", "memory_gib": 16.0},
        {"name": "A100", "memory_gib": 16.0},
    ]
