"""Trial: reporting validates at the call site and only enqueues; ends and context manager."""

from __future__ import annotations

import math

import httpx
import pytest

import kuro

pytestmark = pytest.mark.usefixtures("testing")


@pytest.fixture
def trial(fake_worker):
    experiment = fake_worker.experiment("g", "model", metrics=["acc", "loss"], n_trials=5)
    return experiment.trial()


def _points(fake) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = {}
    for body in fake.bodies("/points"):
        for s in body["series"]:
            steps, values = out.setdefault(s["metric"], ([], []))
            steps += s["steps"]
            values += s["values"]
    return out


def test_omitted_step_is_the_metrics_next_step(trial, fake_worker, fake):
    """Without ``step``, each metric counts on from its own last step."""
    trial.report_metric("loss", 1.0)
    trial.report_metric("loss", 2.0)
    trial.report_metric("acc", 0.5, step=10)
    trial.report_metric("acc", 0.6)
    trial.report_metric("loss", 3.0)
    fake_worker.flush()
    assert _points(fake) == {"loss": ([0, 1, 2], [1.0, 2.0, 3.0]), "acc": ([10, 11], [0.5, 0.6])}


def test_report_metrics_shares_one_step(trial, fake_worker, fake):
    """``report_metrics`` reports each value at the same step."""
    trial.report_metrics({"acc": 0.9, "loss": 0.3}, step=5)
    fake_worker.flush()
    assert _points(fake) == {"acc": ([5], [0.9]), "loss": ([5], [0.3])}


def test_numbers_of_every_kind_are_floats(trial, fake_worker, fake):
    """Ints, fractions and objects with ``__float__`` are accepted as floats."""
    from fractions import Fraction

    class Tensor:
        def __float__(self) -> float:
            return 0.25

    for value in (1, Fraction(1, 2), Tensor()):
        trial.report_metric("acc", value)
    fake_worker.flush()
    assert _points(fake)["acc"][1] == [1.0, 0.5, 0.25]


def test_nan_and_infinities_are_kept(trial, fake_worker, fake):
    """NaN and infinities are real values: they are sent, as the wire's strings."""
    for value in (math.nan, math.inf, -math.inf):
        trial.report_metric("loss", value)
    fake_worker.flush()
    assert _points(fake)["loss"][1] == ["NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("value", ["0.5", None, True, 1j, [1.0], b"1"])
def test_value_that_is_not_a_real_number_raises(trial, value):
    """Strings, None, booleans, complex numbers and lists raise InvalidInput at once."""
    with pytest.raises(kuro.InvalidInput, match="real number") as info:
        trial.report_metric("acc", value)
    assert info.value.field == "value"


@pytest.mark.parametrize("step", [1.5, "3", True, 2**63])
def test_bad_step_raises(trial, step):
    """A step is a 64-bit integer."""
    with pytest.raises(kuro.InvalidInput) as info:
        trial.report_metric("acc", 1.0, step=step)
    assert info.value.field == "step"


def test_bad_metric_name_raises(trial):
    """A metric name is a non-empty string."""
    with pytest.raises(kuro.InvalidInput):
        trial.report_metric("", 1.0)


def test_bad_mode_raises(trial):
    """A mode is 'max' or 'min'."""
    with pytest.raises(kuro.InvalidInput, match="'max' or 'min'"):
        trial.report_metric("speed", 1.0, mode="maximum")


def test_known_mode_conflict_raises_without_a_request(trial, fake):
    """A mode contradicting one the client knows raises ModeConflict with no round trip."""
    before = len(fake.requests)
    with pytest.raises(kuro.ModeConflict):
        trial.report_metric("acc", 1.0, mode="min")
    assert len(fake.requests) == before


def test_new_metric_is_registered_once(trial, fake):
    """A metric new to the client costs one POST /metrics, on first use only."""
    for step in range(10):
        trial.report_metric("speed", float(step), mode="max")
    assert fake.bodies("/metrics") == [{"group": "g", "name": "speed", "mode": "max"}]


def test_server_mode_conflict_raises_at_call_site(trial, fake):
    """The server's mode_conflict for a new metric is raised by report_metric itself."""
    fake.modes["speed"] = "min"
    with pytest.raises(kuro.ModeConflict):
        trial.report_metric("speed", 1.0, mode="max")


def test_report_after_end_raises_conflict(trial):
    """An ended trial takes no more points."""
    trial.end()
    with pytest.raises(kuro.Conflict, match="ended"):
        trial.report_metric("brand_new", 1.0, mode="max")


def test_any_report_after_end_raises_conflict(trial):
    """A metric already reported is refused after end too, however it is reported."""
    trial.report_metric("acc", 0.5)
    trial.end()
    with pytest.raises(kuro.Conflict, match="ended"):
        trial.report_metric("acc", 0.6, step=1)
    with pytest.raises(kuro.Conflict, match="ended"):
        trial.report_metrics({"acc": 0.7, "loss": 0.1})


def test_report_after_leaving_the_with_block_raises_conflict(fake_worker):
    """Leaving ``with trial:`` ends the trial: a report afterwards raises at the call site."""
    with fake_worker.experiment("g", "m", metrics=["loss"]).trial() as trial:
        report = trial.report_metric
        report("loss", 0.5)
    with pytest.raises(kuro.Conflict):
        report("loss", 0.1, step=1)


def test_end_is_delivered_after_the_points(trial, fake_worker, fake):
    """The end of a trial reaches the server after every point reported before it."""
    trial.report_metric("acc", 1.0)
    trial.end("failed", error="diverged")
    fake_worker.flush()
    tail = [(p, b) for _, p, b in fake.requests][-2:]
    assert tail[0][0] == "/points"
    assert tail[1] == ("/trials/1/end", {"status": "failed", "error": "diverged"})


def test_end_twice_the_same_way_is_a_no_op_and_otherwise_a_conflict(trial):
    """end() again with the same status does nothing; with another it raises Conflict."""
    trial.end()
    trial.end()
    with pytest.raises(kuro.Conflict):
        trial.end("failed")


def test_end_with_unknown_status_raises(trial):
    """A trial ends as 'complete', 'failed' or 'pruned'."""
    with pytest.raises(kuro.InvalidInput):
        trial.end("done")


def test_context_manager_completes_the_trial(fake_worker):
    """A ``with`` block that finishes ends the trial as complete."""
    experiment = fake_worker.experiment("g", "model", n_trials=2)
    with experiment.trial() as trial:
        trial.report_metric("acc", 1.0)
    assert trial.status == "complete"


def test_context_manager_fails_the_trial_and_reraises(fake_worker, fake):
    """A ``with`` block that raises ends the trial as failed, with the traceback, and the
    exception goes on."""
    experiment = fake_worker.experiment("g", "model", n_trials=2)
    with pytest.raises(ZeroDivisionError), experiment.trial() as trial:
        1 / 0  # noqa: B018
    assert trial.status == "failed"
    fake_worker.flush()
    [end] = fake.bodies("/trials/1/end")
    assert end["status"] == "failed" and "ZeroDivisionError" in end["error"]


def test_id_url_and_hyper_parameters(fake_worker):
    """A trial knows its id, its URL on the server and its experiment's hyper-parameters."""
    experiment = fake_worker.experiment("g", "model", hyper_parameters={"lr": 0.1})
    trial = experiment.trial()
    assert trial.id == 1
    assert trial.url == "http://kuro.test/dashboard/trial/1"
    assert trial.hyper_parameters == {"lr": 0.1}


@pytest.mark.live
def test_url_opens_the_dashboard_trial_page(worker, group):
    """``trial.url`` is the dashboard's page of the trial, served by the same server."""
    trial = worker.experiment(group, "model").trial()
    answer = httpx.get(trial.url, timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert f"/dashboard/trial/{trial.id}" in trial.url
