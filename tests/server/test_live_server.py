"""``kuro server`` as a user meets it: gunicorn over real HTTP, on SQLite or PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx


def test_readme_curl_flow(live_kuro):
    """Worker, experiment, trial, points and reads over HTTP, as the README shows."""
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=30) as http:
        assert http.post("/workers", json={"name": "nibel"}).status_code == 200
        e = http.post(
            "/experiments",
            json={
                "group": "live",
                "identifier": "dan",
                "hyper_parameters": {"lr": 0.001},
                "n_trials": 1,
                "metrics": [{"name": "test_acc"}],
            },
        ).json()
        trial = http.post(f"/experiments/{e['id']}/trials", json={"worker": "nibel"}).json()[
            "trial"
        ]
        r = http.post(
            "/points",
            json={
                "series": [
                    {
                        "trial_id": trial["id"],
                        "metric": "test_acc",
                        "steps": [0, 1],
                        "values": [0.5, 0.75],
                    }
                ]
            },
        )
        assert r.json() == {"n_points": 2, "duplicate": False, "prune": []}
        assert (
            http.post(f"/trials/{trial['id']}/end", json={"status": "complete"}).status_code == 200
        )
        history = http.get("/history", params={"trial_ids": trial["id"]}).json()
        assert history[0]["metrics"]["test_acc"]["values"] == [0.5, 0.75]
        group = http.get("/experiments", params={"group": "live"}).json()
        assert group["experiments"][0]["trials"][0]["summaries"]["test_acc"]["best"] == 0.75


def test_concurrent_writers_are_not_locked_out(live_kuro):
    """Eight concurrent clients posting batches to two server processes all succeed."""
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
        e = http.post(
            "/experiments",
            json={"group": "load", "identifier": "m", "n_trials": 8, "metrics": [{"name": "loss"}]},
        ).json()
        trials = [
            http.post(f"/experiments/{e['id']}/trials", json={"worker": f"w{i}"}).json()["trial"]
            for i in range(8)
        ]

    def post(trial):
        with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
            codes = []
            for b in range(10):
                steps = list(range(b * 500, (b + 1) * 500))
                codes.append(
                    http.post(
                        "/points",
                        json={
                            "series": [
                                {
                                    "trial_id": trial["id"],
                                    "metric": "loss",
                                    "steps": steps,
                                    "values": [float(s) for s in steps],
                                }
                            ]
                        },
                    ).status_code
                )
            return codes

    with ThreadPoolExecutor(8) as pool:
        codes = [c for cs in pool.map(post, trials) for c in cs]
    assert codes == [200] * 80
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=60) as http:
        history = http.post("/history", json={"trial_ids": [t["id"] for t in trials]}).json()
    assert [h["metrics"]["loss"]["count"] for h in history] == [5000] * 8


def test_admin_and_docs_pages_are_served(live_kuro):
    """The admin login page and its static files, and the API docs, load."""
    login = httpx.get(f"{live_kuro.url}/admin/login/", timeout=10)
    assert login.status_code == 200 and "Django" in login.text
    css = httpx.get(f"{live_kuro.url}/static/admin/css/base.css", timeout=10)
    assert css.status_code == 200
    assert httpx.get(f"{live_kuro.url}/api/v1/docs", timeout=10).status_code == 200
