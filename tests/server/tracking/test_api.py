"""The JSON API through Django's test client: the README's flow, end to end."""

from __future__ import annotations

from django.conf import settings

import kuro


def test_health(api):
    """The server says it is up, its version, and the request limits it enforces."""
    assert api.get("/health") == (
        200,
        {"status": "ok", "version": kuro.__version__, "limits": settings.KURO_LIMITS},
    )


def test_worker_register_and_fetch(api):
    """A worker registers its resources and is read back; registering again updates it."""
    body = {
        "name": "nibel",
        "cpu": "AMD EPYC",
        "memory_gib": 64.0,
        "gpus": [{"name": "A100", "memory_gib": 80}],
        "hostname": "n1",
        "platform": "Linux",
        "python_version": "3.11.7",
    }
    status, worker = api.post("/workers", body)
    assert status == 200 and worker["gpus"] == [{"name": "A100", "memory_gib": 80.0}]
    api.post("/workers", {**body, "memory_gib": 128.0})
    status, again = api.get("/workers/nibel")
    assert (status, again["memory_gib"], again["cpu"]) == (200, 128.0, "AMD EPYC")
    assert [w["name"] for w in api.get("/workers")[1]] == ["nibel"]


def test_metric_get_or_create(api):
    """Metrics are created with an inferred mode and found again."""
    assert api.post("/metrics", {"group": "g", "name": "test_acc"}) == (
        200,
        {"group": "g", "name": "test_acc", "mode": "max"},
    )
    assert api.post("/metrics", {"group": "g", "name": "test_acc", "mode": "max"})[0] == 200


def test_experiment_answers_metrics_and_n_trials(api):
    """get-or-create an experiment returns its metrics with modes and n_trials."""
    body = {
        "group": "guesser",
        "identifier": "qanta.guesser.dan.DanGuesser",
        "hyper_parameters": {"lr": 0.001, "dropout": 0.5},
        "n_trials": 3,
        "metrics": [{"name": "test_acc", "mode": "max"}, {"name": "test_loss"}],
    }
    status, e = api.post("/experiments", body)
    assert status == 200
    assert e["metric_modes"] == {"test_acc": "max", "test_loss": "min"}
    assert (e["n_trials"], e["n_trials_started"]) == (3, 0)
    status, again = api.post(
        "/experiments", {**body, "hyper_parameters": {"dropout": 0.5, "lr": 1e-3}}
    )
    assert again["id"] == e["id"]
    assert api.get(f"/experiments/{e['id']}")[1] == again


def test_acquire_until_no_more_trials(api, trial):
    """n_trials=2: a second worker gets the second trial, a third gets a normal 'no more'."""
    experiment_id = trial["experiment_id"]
    assert (trial["number"], trial["status"], trial["hyper_parameters"]) == (
        0,
        "running",
        {"lr": 0.1},
    )
    assert (
        api.post(f"/experiments/{experiment_id}/trials", {"worker": "w1"})[1]["trial"]["id"]
        == trial["id"]
    )
    status, second = api.post(f"/experiments/{experiment_id}/trials", {"worker": "w2"})
    assert (status, second["trial"]["number"]) == (200, 1)
    assert api.post(f"/experiments/{experiment_id}/trials", {"worker": "w3"}) == (
        200,
        {"trial": None, "reason": "no_more_trials"},
    )


def test_points_history_summaries_and_end(api, trial):
    """Points go in as series and single points, come back as history and summaries."""
    status, answer = api.post(
        "/points",
        {
            "batch_id": "b1",
            "series": [
                {
                    "trial_id": trial["id"],
                    "metric": "loss",
                    "steps": [0, 1, 2],
                    "values": [1.0, "NaN", "Infinity"],
                    "times": [1.0, 2.0, 3.0],
                }
            ],
            "points": [
                {"trial_id": trial["id"], "metric": "acc", "step": 0, "value": 0.5},
                {
                    "trial_id": trial["id"],
                    "metric": "optimality",
                    "step": 0,
                    "value": 3,
                    "mode": "min",
                },
            ],
        },
    )
    assert (status, answer) == (200, {"n_points": 5, "duplicate": False, "prune": []})
    assert api.post("/points", {"batch_id": "b1", "points": []})[1]["duplicate"] is True
    status, history = api.get("/history", trial_ids=str(trial["id"]))
    assert history[0]["metrics"]["loss"]["values"] == [1.0, "NaN", "Infinity"]
    assert history[0]["metrics"]["optimality"]["values"] == [3.0]
    status, ended = api.post(f"/trials/{trial['id']}/end", {"status": "complete"})
    assert ended["status"] == "complete" and ended["ended_at"]
    assert ended["summaries"]["loss"]["best"] == 1.0
    status, group = api.get("/experiments", group="g")
    assert group["experiments"][0]["status_counts"] == {"complete": 1}
    assert {m["name"] for m in group["metrics"]} == {"acc", "loss", "optimality"}


def test_python_nan_tokens_are_accepted(api, trial):
    """Bodies written by json.dumps (bare NaN/Infinity) are understood; answers stay strict."""
    point = f'{{"trial_id": {trial["id"]}, "metric": "loss", "step": 0, "value": NaN}}'
    raw = f'{{"points": [{point}]}}'
    assert api.post("/points", raw=raw)[0] == 200
    body = api.client.get("/api/v1/history", {"trial_ids": trial["id"]}).content
    assert b'"NaN"' in body and b"NaN," not in body.replace(b'"NaN"', b"")


def test_history_post_and_max_points(api, trial):
    """POST /history takes long id lists and downsamples on request."""
    api.post(
        "/points",
        {
            "series": [
                {
                    "trial_id": trial["id"],
                    "metric": "loss",
                    "steps": list(range(1000)),
                    "values": [float(i % 7) for i in range(1000)],
                }
            ]
        },
    )
    status, h = api.post("/history", {"trial_ids": [trial["id"]], "max_points": 50})
    s = h[0]["metrics"]["loss"]
    assert status == 200 and len(s["steps"]) <= 50 and s["sampled"] and s["count"] == 1000
    # A zoomed chart reads one range of steps, at full resolution when it fits.
    status, h = api.post(
        "/history", {"trial_ids": [trial["id"]], "step_min": 100, "step_max": 139, "max_points": 50}
    )
    s = h[0]["metrics"]["loss"]
    assert status == 200 and s["steps"] == list(range(100, 140)) and not s["sampled"]
    assert s["values"] == [float(i % 7) for i in range(100, 140)] and s["count"] == 40
    got = api.client.get("/api/v1/history", {"trial_ids": trial["id"], "step_min": 990}).json()[0][
        "metrics"
    ]["loss"]
    assert got["steps"] == list(range(990, 1000))
    status, err = api.post("/history", {"trial_ids": [trial["id"]], "step_min": 5, "step_max": 4})
    assert status == 422 and err["detail"]["field"] == "step_min"


def test_groups_and_export(api, trial):
    """Groups are listed and a group exports as one JSON document."""
    api.post(
        "/points", {"points": [{"trial_id": trial["id"], "metric": "acc", "step": 0, "value": 1}]}
    )
    assert api.get("/groups")[1][0]["name"] == "g"
    status, doc = api.get("/export", group="g")
    assert (status, doc["schema"]) == (200, "kuro.export/1")
    assert doc["schema"] == "kuro.export/1"
    assert doc["experiments"][0]["trials"][0]["series"]["acc"]["values"] == [1.0]


def test_openapi_schema_and_docs_are_served(api):
    """The OpenAPI schema lists the endpoints; the docs page loads local assets."""
    status, schema = api.get("/openapi.json")
    assert status == 200
    assert {"/api/v1/points", "/api/v1/experiments", "/api/v1/history"} <= set(schema["paths"])
    docs = api.client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_openapi_documents_every_field_of_the_comparison(api):
    """``GET /compare``: each query parameter and each field of its answer (the setting's
    statistics and its test against the leader) says what it is in the schema."""
    _, schema = api.get("/openapi.json")
    operation = schema["paths"]["/api/v1/compare"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"group", "metric", "statistic", "step", "bootstrap"}
    assert all(p.get("description") for p in parameters.values())
    assert parameters["statistic"]["schema"]["enum"] == ["best", "last", "step", "summary"]
    components = schema["components"]["schemas"]
    for name in ("ComparisonOut", "ComparedExperimentOut", "VersusOut"):
        fields = components[name]["properties"]
        undocumented = [field for field, spec in fields.items() if not (spec.get("description"))]
        assert fields and not undocumented, (name, undocumented)
