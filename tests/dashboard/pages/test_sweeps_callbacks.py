"""The sweeps page's callbacks called as functions (no browser): states and data work."""

from __future__ import annotations

import pytest
from plotly.io.json import to_json_plotly
from werkzeug.test import Client as WsgiClient

from kuro.dashboard import create_app
from kuro.server.queue.services import sweep_create, work_claim
from kuro.server.tracking.services import PointSeries, points_ingest, trial_end

pytestmark = pytest.mark.django_db

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "act": {"type": "categorical", "choices": ["relu", "tanh"]},
}


@pytest.fixture
def sweeps():
    create_app()
    from kuro.dashboard.pages import sweeps

    return sweeps


def _text(component) -> str:
    return to_json_plotly(component)


def _sweep(n_configs: int, *, n_trials: int = 2, max_configs: int = 6):
    """A random sweep with ``n_configs`` configurations run to the end."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        sampler="random",
        seed=3,
        max_configs=max_configs,
        n_trials=n_trials,
        name="first",
    )
    for _ in range(n_configs * n_trials):
        trial = work_claim(worker="w", sweep_id=sweep.pk)
        hp = trial.experiment.hyper_parameters
        value = 1 - abs(hp["lr"] - 0.01) + (0.1 if hp["act"] == "relu" else 0) + trial.number / 100
        points_ingest(
            series=[PointSeries(trial_id=trial.pk, metric="acc", steps=[0], values=[value])]
        )
        trial_end(trial_id=trial.pk, status="complete")
    return sweep


def test_no_sweeps_says_how_to_create_one(sweeps):
    """An empty list is an empty state naming the command, not a blank grid."""
    rows, columns, _, message, status = sweeps.show_sweeps(0, 0)
    assert rows == [] and columns and status.startswith("0 sweeps")
    assert "kuro sweep create" in _text(message)


def test_list_links_each_sweep(sweeps):
    """Each sweep links to its page, with its objective and configurations n / max."""
    sweep = _sweep(1)
    rows, _, _, message, _ = sweeps.show_sweeps(0, 0)
    assert message is None
    (row,) = rows
    assert row["sweep"] == f"[#{sweep.pk} · first](/dashboard/sweeps/{sweep.pk})"
    assert row["objective"] == "acc ↑" and row["configs"] == "1 / 6"
    assert row["sampler"] == "random (seed 3)"


def test_layout_chooses_list_or_sweep(sweeps):
    """No id: the list; a path id or ``?sweep=`` opens one sweep."""
    assert "sweeps-list" in _text(sweeps.layout())
    for page in (sweeps.sweep_layout(sweep_id="4"), sweeps.layout(sweep="4")):
        text = _text(page)
        assert "sweeps-data" in text and "sweeps-list-status" not in text


def test_unknown_sweep_is_an_error_state(sweeps):
    """A sweep that does not exist (or a non-number) is an alert, the body hidden."""
    for bad in ("999", "abc"):
        data, _, _, _, message, body = sweeps.load_sweep(bad, 0, 0, None)
        assert data is None and body == "kuro-hidden"
        assert "alert" in _text(message) and bad in _text(message)


def test_sweep_without_configurations_says_how_to_start(sweeps):
    """A new sweep has no configuration yet: the page says how to start workers."""
    sweep = _sweep(0)
    _, title, _, status, message, body = sweeps.load_sweep(str(sweep.pk), 0, 0, None)
    assert title == f"Sweep {sweep.pk} · first" and body == "kuro-hidden"
    assert f"kuro agent --sweep {sweep.pk}" in _text(message)
    assert status.startswith("0 of 6 configurations · 0 scored")


def test_one_scored_configuration_has_no_importance_yet(sweeps):
    """Importance needs two scored configurations; the page says how many it has."""
    sweep = _sweep(1)
    data, *_ = sweeps.load_sweep(str(sweep.pk), 0, 0, None)
    objective, importance, parallel = sweeps.show_charts(data)
    assert "No importances yet" in _text(importance) and "1 so far" in _text(importance)
    assert objective.figure["data"][0]["x"] == [0]
    assert len(parallel.figure["data"][0]["dimensions"]) == 3


def test_scored_sweep_shows_every_view(sweeps):
    """Progress, best (mean ± std), objective, importances, parallel and the table."""
    sweep = _sweep(4)
    data, _, _, status, message, body = sweeps.load_sweep(str(sweep.pk), 0, 0, None)
    assert message is None and body == ""
    assert status.startswith("4 of 6 configurations · 4 scored")
    progress, best, rows, columns, _, _, href = sweeps.show_overview(data)
    assert '"data-count":8' in _text(progress).replace(" ", "")
    best_row = data["sweep"]["best"]
    assert f"Configuration #{best_row['number']}" in _text(best)
    assert f"{best_row['mean']:.4g} ± {best_row['std']:.3g}" in str(best)
    assert [r["number"] for r in rows] == [0, 1, 2, 3]
    assert sum(r["best"] for r in rows) == 1 and href == "/dashboard/?group=g"
    assert [c["headerName"] for c in columns][:3] == ["#", "lr", "act"]
    objective, importance, parallel = sweeps.show_charts(data)
    assert [len(t["x"]) for t in objective.figure["data"]] == [4, 4, 1]
    assert set(importance.figure["data"][0]["y"]) == {"lr", "act"}
    (note,) = importance.figure["layout"]["annotations"]
    assert "based on 4 scored configurations; below 10 the ranking is unreliable" in note["text"]
    assert parallel.figure["layout"]["uirevision"] == sweep.pk


def test_importance_is_kept_while_no_new_configuration_is_scored(sweeps, monkeypatch):
    """A refresh with the same scored configurations does not rerun fANOVA."""
    sweep = _sweep(2)
    first, *_ = sweeps.load_sweep(str(sweep.pk), 0, 0, None)

    def fail(**_):
        raise AssertionError("importance recomputed")

    monkeypatch.setattr(sweeps.selectors, "sweep_importance", fail)
    again, *_ = sweeps.load_sweep(str(sweep.pk), 1, 0, first)
    assert again["importance"] == first["importance"]


@pytest.mark.django_db(transaction=True)
def test_auth_on_sends_anonymous_visitors_to_login(settings):
    """With auth on, the sweeps page asks for a login like every dashboard page."""
    from kuro.server.wsgi import application

    settings.KURO_AUTH = True
    page = WsgiClient(application).get("/dashboard/sweeps/1")
    assert page.status_code == 302 and page.headers["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_auth_on_lets_a_signed_in_session_see_a_sweep(settings):
    """With auth on, a signed-in session opens the page and its callbacks answer."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from kuro.server.wsgi import application

    settings.KURO_AUTH = True
    sweep = _sweep(1)
    django_client = Client()
    django_client.force_login(get_user_model().objects.create_user("ada", password="pw-x"))
    client = WsgiClient(application)
    client.set_cookie("sessionid", django_client.cookies["sessionid"].value)
    assert client.get(f"/dashboard/sweeps/{sweep.pk}").status_code == 200
    charts = ("sweeps-objective", "sweeps-importance", "sweeps-parallel")
    answer = client.post(
        "/dashboard/_dash-update-component",
        json={
            "output": "..{}..".format("...".join(f"{c}.children" for c in charts)),
            "outputs": [{"id": c, "property": "children"} for c in charts],
            "inputs": [{"id": "sweeps-data", "property": "data", "value": None}],
            "changedPropIds": [],
            "state": [],
        },
    )
    assert answer.status_code == 200, answer.data[:300]
    client.delete_cookie("sessionid")
    assert client.get(f"/dashboard/sweeps/{sweep.pk}").status_code == 302
