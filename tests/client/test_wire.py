"""Metric values on the wire: strict JSON, non-finite values as "NaN", "Infinity" and
"-Infinity" (``kuro.core.values``), and back as floats through a real server."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from tests.client.helpers import all_points


def _refuse_bare_tokens(token: str) -> float:
    raise AssertionError(f"a bare {token} token is not JSON")


def test_a_batch_body_is_strict_json(make_worker, fake, testing):
    """NaN and infinities go out as strings: the body parses as strict JSON."""
    bodies: list[bytes] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/points"):
            bodies.append(request.content)
        return fake.handle(request)

    worker = make_worker("http://kuro.test", transport=httpx.MockTransport(handle))
    trial = worker.experiment("g", "m", metrics=["loss"]).trial()
    for value in (1.5, math.nan, math.inf, -math.inf):
        trial.report_metric("loss", value)
    assert worker.flush()
    [body] = bodies
    [series] = json.loads(body, parse_constant=_refuse_bare_tokens)["series"]
    assert series["values"] == [1.5, "NaN", "Infinity", "-Infinity"]


@pytest.mark.live
def test_non_finite_values_arrive_as_floats(worker, api, group):
    """Through the live server, NaN and infinities come back as the same floats."""
    trial = worker.experiment(group, "m", metrics=["loss"]).trial()
    for value in (0.25, math.nan, math.inf, -math.inf):
        trial.report_metric("loss", value)
    trial.end()
    assert worker.flush()
    [(steps, values)] = all_points(api, group).values()
    assert steps == [0, 1, 2, 3]
    assert values[0] == 0.25 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf]
