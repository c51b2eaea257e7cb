"""The sweeps page over float values: NaN is a dash, infinities are shown, and both survive
the page's JSON store."""

from __future__ import annotations

import json
import math

import pytest
from plotly.io.json import to_json_plotly

from kuro.dashboard.figures.sweeps import objective_figure, running_best
from kuro.dashboard.sweep_tables import (
    column_width,
    config_table,
    detail_from_store,
    detail_to_store,
    value_text,
)

INF = math.inf


def _config(number: int, mean: float | None, *, std: float | None = None, n: int = 1) -> dict:
    return {
        "number": number,
        "experiment_id": number + 1,
        "params": {"lr": 0.1 * (number + 1)},
        "state": "complete" if mean is not None and not math.isnan(mean) else "failed",
        "value": mean if mean is not None and not math.isnan(mean) else None,
        "mean": mean,
        "std": std,
        "n_complete": n,
        "status_counts": {"complete": n},
    }


def _detail(configs: list[dict], best: int | None) -> dict:
    return {
        "id": 1,
        "group": "g",
        "space": {"lr": {"type": "float", "low": 0, "high": 1}},
        "objective": "loss",
        "mode": "min",
        "n_trials": 2,
        "configs": configs,
        "best": None if best is None else configs[best],
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.25, "0.25"), (-INF, "-inf"), (INF, "inf"), (math.nan, "—"), (None, "—"), ("NaN", "—")],
)
def test_value_text(value, text):
    """NaN or none is a dash; infinities are written, not hidden."""
    assert value_text(value) == text


def test_store_round_trip_keeps_infinities():
    """Through Dash's JSON (which has no infinities) the stored sweep keeps -inf and NaN."""
    detail = _detail([_config(0, -INF, std=math.nan, n=2), _config(1, 0.5)], best=0)
    stored = json.loads(to_json_plotly(detail_to_store(detail)))
    back = detail_from_store(stored)
    assert back["best"]["mean"] == -INF and back["configs"][0]["value"] == -INF
    assert math.isnan(back["configs"][0]["std"]) and back["configs"][1]["mean"] == 0.5


def test_grid_cells_carry_infinities_as_strings():
    """Grid rows hold an infinite mean as its wire string and a NaN one as null (a dash)."""
    detail = _detail([_config(0, -INF, std=math.nan, n=2), _config(1, math.nan)], best=0)
    rows, columns = config_table(detail)
    assert rows[0]["mean"] == "-Infinity" and rows[0]["std"] is None
    assert rows[1]["mean"] is None
    assert json.loads(to_json_plotly(rows))[0]["mean"] == "-Infinity"
    mean_column = next(c for c in columns if c["field"] == "mean")
    assert mean_column["valueFormatter"]["function"] == "kuroNumber(params.value)"


def test_grid_interval_columns_dash_a_single_trial():
    """The configurations grid has the 95% interval's ends; a single-trial configuration's
    NaN interval is null there (the grid's dash)."""
    two = {**_config(0, 0.5, std=0.1, n=2), "ci_low": 0.25, "ci_high": -INF}
    one = {**_config(1, 0.4), "ci_low": math.nan, "ci_high": math.nan}
    rows, columns = config_table(_detail([two, one], best=1))
    assert (rows[0]["ci_low"], rows[0]["ci_high"]) == (0.25, "-Infinity")
    assert rows[1]["ci_low"] is None and rows[1]["ci_high"] is None
    headers = [c["headerName"] for c in columns]
    assert headers.index("Mean") + 1 == headers.index("95% CI low")
    assert headers.index("95% CI low") + 1 == headers.index("95% CI high")


def test_figures_leave_out_what_they_cannot_draw():
    """Infinite and NaN means are not drawn; the running best stops at an infinite best."""
    configs = [_config(0, 0.5), _config(1, -INF), _config(2, 0.2), _config(3, math.nan)]
    figure = objective_figure(configs=configs, objective="loss", mode="min", best_number=1)
    assert figure is not None and figure["data"][0]["x"] == [0, 2]
    assert running_best(configs, "min") == ([0], [0.5])


def test_best_card_shows_an_infinite_mean(db):
    """The best configuration's card writes -inf, without a spread it cannot have."""
    from kuro.dashboard import create_app

    create_app()
    from kuro.dashboard.pages import sweeps

    detail = _detail([_config(0, -INF, std=math.nan, n=2)], best=0)
    text = to_json_plotly(sweeps._best(detail_from_store(detail_to_store(detail))))
    assert '"-inf"' in text and "±" not in text


def test_parameter_columns_fit_their_values():
    """A parameter column is at least as wide as its longest value at four digits (a
    learning rate of 0.0001234 is never cut to "0.00…"), and at most 260 px."""
    detail = _detail([_config(0, 0.5)], best=0)
    detail["configs"][0]["params"] = {"lr": 0.000123456789}
    _, columns = config_table(detail)
    lr = next(c for c in columns if c["headerName"] == "lr")
    assert lr["minWidth"] >= 8 * len("0.0001235") + 40
    assert column_width("name", ["x" * 500]) == 260
