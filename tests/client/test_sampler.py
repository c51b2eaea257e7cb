"""System samples of the running trials: CPU and memory from the operating system, GPUs
through NVML (faked here, at the edge), sent by the telemetry thread, stored apart from the
metrics and never among them."""

from __future__ import annotations

import sys
import time
import types

import httpx
import pytest

from kuro.client._sampler import system_interval
from kuro.client._system import SystemProbe
from kuro.core.errors import InvalidInput


def _fake_nvml(shutdowns: list[int], broken: int | None = None) -> types.SimpleNamespace:
    def handle(i: int) -> int:
        if i == broken:
            raise RuntimeError("GPU is lost")
        return i

    return types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: shutdowns.append(1),
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=handle,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=[97, 3][h], memory=0),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(
            used=[8 * 2**30, 2**29][h], total=16 * 2**30
        ),
    )


def test_cpu_and_memory_are_sampled():
    """The second sample measures CPU over the time since the first; memory is this
    process's resident memory and the machine's (Linux /proc)."""
    probe = SystemProbe()
    probe.sample()
    cpu, wall = time.process_time(), time.monotonic()
    while time.process_time() - cpu < 0.2:
        pass
    values = probe.sample()
    # What this thread measured itself (the machine may be busy with other work).
    expected = 100 * (time.process_time() - cpu) / (time.monotonic() - wall)
    assert 0.7 * expected < values["cpu_percent"] < 1.3 * expected + 5
    assert values["memory_mib"] > 10
    if sys.platform.startswith("linux"):
        assert 0 <= values["system_cpu_percent"] <= 100
        assert 0 < values["system_memory_percent"] < 100 and values["system_memory_used_mib"] > 0


def test_gpus_through_nvml(monkeypatch):
    """Each device's utilisation and memory come from NVML; NVML is shut down at close."""
    shutdowns: list[int] = []
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(shutdowns))
    probe = SystemProbe()
    values = probe.sample()
    assert values["gpu0_utilization_percent"] == 97.0 and values["gpu1_utilization_percent"] == 3
    assert values["gpu0_memory_mib"] == 8192 and values["gpu1_memory_mib"] == 512
    assert values["gpu0_memory_percent"] == 50.0
    probe.close()
    assert shutdowns == [1]


def test_a_failing_device_hides_only_itself(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml([], broken=0))
    values = SystemProbe().sample()
    assert "gpu0_utilization_percent" not in values and values["gpu1_utilization_percent"] == 3
    assert "memory_mib" in values


def test_no_nvml_means_no_gpu_values(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    values = SystemProbe().sample()
    assert values and not any(name.startswith("gpu") for name in values)


def test_interval_from_argument_environment_or_default(monkeypatch):
    monkeypatch.delenv("KURO_SYSTEM_INTERVAL", raising=False)
    assert system_interval() == 5.0
    monkeypatch.setenv("KURO_SYSTEM_INTERVAL", "0")
    assert system_interval() == 0.0
    assert system_interval(2) == 2.0


@pytest.mark.parametrize(
    ("env", "given", "field"),
    [("soon", None, "KURO_SYSTEM_INTERVAL"), ("", -1.0, "system_interval")],
)
def test_a_bad_interval_names_its_source(monkeypatch, env, given, field):
    monkeypatch.setenv("KURO_SYSTEM_INTERVAL", env)
    with pytest.raises(InvalidInput) as caught:
        system_interval(given)
    assert caught.value.detail["field"] == field


def test_capture_off_takes_no_samples(make_worker, fake, testing):
    """``capture=False`` (``KURO_CAPTURE=off``) turns system samples off too."""
    worker = make_worker(
        "http://kuro.test", transport=fake.transport(), capture=False, system_interval=1
    )
    assert worker.telemetry.probe is None


@pytest.mark.live
def test_samples_reach_the_trial_and_never_its_metrics(make_worker, live_kuro, group, api):
    """Sampled every 0.2 s while the trial runs, sent at its end: stored with the trial,
    absent from its metrics, the group's comparison and its export."""
    worker = make_worker(live_kuro.url, capture=True, system_interval=0.2)
    with worker.experiment(group, "busy", metrics=["loss"]).trial() as trial:
        started = time.monotonic()
        step = 0
        while time.monotonic() - started < 1.5:
            trial.report_metric("loss", 1 / (step + 1))
            step += 1
            time.sleep(0.001)
    assert worker.flush()
    answer = httpx.get(f"{live_kuro.url}/api/v1/trials/{trial.id}/system", timeout=30).json()
    assert len(answer["times"]) >= 3
    assert {"cpu_percent", "memory_mib"} <= set(answer["values"])
    assert all(v > 0 for v in answer["values"]["memory_mib"])
    assert api.metrics(group) == {"loss": "min"}
    comparison = api.compare(group, "loss")
    export = api.export(group)
    for name in answer["values"]:
        assert name not in str(comparison) and name not in str(export)
    assert {row["metric"] for row in export.to_pandas().to_dict("records")} == {"loss"}


def test_output_and_samples_go_before_the_trial_end(make_worker, fake, testing, monkeypatch):
    """In order on the wire: the trial's output (its head, then its held tail past
    ``KURO_OUTPUT_MAX_CHARS``) and its samples, then its end."""
    monkeypatch.setenv("KURO_OUTPUT_MAX_CHARS", "10")
    worker = make_worker(
        "http://kuro.test",
        transport=fake.transport(),
        capture=True,
        capture_output=True,
        system_interval=1,
    )
    trial = worker.experiment("g", "m", metrics=["loss"]).trial()
    print("0123456789abcdefghijklmnopqrstuvwxyz")
    worker.telemetry.tick(now=time.monotonic() + 2)  # output shipped, a sample taken
    trial.end()
    assert worker.flush(5)
    paths = [p for p in fake.paths() if p.startswith("/trials/1/")]
    assert paths == [
        "/trials/1/context",
        "/trials/1/output",
        "/trials/1/output",
        "/trials/1/system",
        "/trials/1/end",
    ]
    head, tail = fake.bodies("/trials/1/output")
    assert (head["offset"], head["text"]) == (0, "0123456789")
    assert (tail["offset"], tail["text"]) == (32, "wxyz\n")  # the last 5 of 37
    [samples] = fake.bodies("/trials/1/system")
    assert "memory_mib" in samples["samples"][0]["values"]
