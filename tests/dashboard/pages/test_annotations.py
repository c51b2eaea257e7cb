"""Tags and notes in real headless Chromium, with auth on: a signed-in person adds a tag and
a note on the trial page and sees them on the compare page, with its tag filter and the
warning for trials of one setting that ran different commits; a replayed edit without the
page's CSRF token, or from a read-only token, changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kuro.server.testing import LiveServer, scratch_database
from tests.server.tracking.test_context import _context

# One pytest-xdist worker runs this module, so its module-scoped servers start once.
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("test_annotations")]

KURO = str(Path(sys.executable).with_name("kuro"))
GROUP = "tagged"
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A server with auth on, a person who may sign in, and a group whose one setting has
    two trials that ran different commits, one from a dirty tree."""
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(tmp_path_factory.mktemp("annotations"), database_url=url, auth="on")
    env = server.env()

    def kuro(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [KURO, *args], env=env, input=stdin, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    kuro("migrate")
    tokens = {
        "full": kuro("token", "create", "full"),
        "read": kuro("token", "create", "reader", "--read-only"),
    }
    kuro("user", "create", "ada", "--password-stdin", stdin=f"{PASSWORD}\n")
    server.start()
    headers = {"Authorization": f"Bearer {tokens['full']}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=60) as http:
        experiment = http.post(
            "/experiments",
            json={"group": GROUP, "identifier": "m", "n_trials": 2, "metrics": [{"name": "acc"}]},
        ).json()
        trials = []
        for worker, commit, dirty in (("w1", "a" * 40, False), ("w2", "b" * 40, True)):
            trial = http.post(
                f"/experiments/{experiment['id']}/trials", json={"worker": worker}
            ).json()["trial"]
            git = {**_context()["git"], "commit": commit, "dirty": dirty}
            http.post(f"/trials/{trial['id']}/context", json=_context(git=git)).raise_for_status()
            http.post(
                "/points",
                json={
                    "batch_id": f"b{trial['id']}",
                    "series": [
                        {"trial_id": trial["id"], "metric": "acc", "steps": [0, 1],
                         "values": [0.5, 0.7], "times": [1.0, 2.0]},
                    ],
                },
            ).raise_for_status()  # fmt: skip
            http.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
            trials.append(trial["id"])
    yield {"server": server, "tokens": tokens, "trials": trials, "experiment": experiment["id"]}
    server.stop()
    drop()


def _annotations(guarded, kind: str, ident: int) -> dict:
    headers = {"Authorization": f"Bearer {guarded['tokens']['full']}"}
    url = f"{guarded['server'].url}/api/v1/{kind}s/{ident}/annotations"
    return httpx.get(url, headers=headers, timeout=30).json()


def _saves_a_note(request) -> bool:
    """Whether a request is the Save note button's callback."""
    if "_dash-update-component" not in request.url or not request.post_data:
        return False
    changed = json.loads(request.post_data).get("changedPropIds", [])
    return any('"subcomponent":"save"' in c for c in changed)


def _section(page, title: str):
    heading = page.page.get_by_role("heading", name=title, exact=True)
    return page.page.locator("section.kuro-card", has=heading)


def _sign_in(page, server_url: str) -> None:
    """Sign in through the login form, in the page's browser context (its cookies: the
    session and Django's CSRF cookie). Posted from the context, not the page: Chromium
    asks the login page for a favicon Kuro does not serve, a 404 in the console."""
    login = f"{server_url}/accounts/login/"
    request = page.page.context.request
    assert request.get(login).ok
    csrf = next(c["value"] for c in page.page.context.cookies() if c["name"] == "csrftoken")
    answer = request.post(
        login,
        form={"username": "ada", "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/"},
        headers={"Referer": login},
        max_redirects=0,
    )
    assert answer.status == 302, answer.text()


def test_tags_and_notes_from_the_trial_page_to_the_compare_page(page, guarded):
    """Signed in: add a tag (Enter), add and remove another, save a note; the compare page
    shows the tags in both grids, filters by tag, and warns of the mixed commits."""
    server, first, second = guarded["server"], *guarded["trials"]
    _sign_in(page, server.url)
    page.page.goto(f"{server.url}/dashboard/trial/{first}")
    panel = page.page.locator("#trial-annotations [data-kind=trial]")
    panel.locator(".kuro-tag-input input").fill("baseline")
    panel.locator(".kuro-tag-input input").press("Enter")
    panel.locator(".kuro-tag[data-tag=baseline]").wait_for()
    panel.locator(".kuro-tag-input input").fill("temporary")
    panel.get_by_role("button", name="Add tag").click()
    panel.locator(".kuro-tag[data-tag=temporary]").wait_for()
    panel.locator(".kuro-tag[data-tag=temporary] button").click()
    panel.locator(".kuro-tag[data-tag=temporary]").wait_for(state="detached")
    panel.locator("textarea").fill("the reference run\nlr warm-up off")
    with page.page.expect_request(_saves_a_note) as saving:
        panel.get_by_role("button", name="Save note").click()
    panel.get_by_text("Note saved. (by ada)").wait_for()
    assert "x-csrftoken" in {k.lower() for k in saving.value.headers}
    page.shot("trial-annotations")
    assert _annotations(guarded, "trial", first) == {
        "tags": ["baseline"],
        "note": "the reference run\nlr warm-up off",
    }

    page.page.goto(f"{server.url}/dashboard/?group={GROUP}")
    warning = page.page.locator("#compare-provenance")
    warning.get_by_text("ran 2 different commits").wait_for()
    assert "1 of 2 trials ran from a dirty tree" in warning.inner_text()
    trials_grid = _section(page, "Trials")
    trials_grid.locator(".ag-cell[col-id=tags]", has_text="baseline").wait_for()
    trials_grid.locator(".ag-cell[col-id=commit]", has_text="bbbbbbbbbb +dirty").wait_for()
    experiments_grid = _section(page, "Experiments")
    experiments_grid.locator(".ag-cell[col-id=tags]", has_text="baseline").wait_for()
    experiments_grid.locator(".ag-cell[col-id=commit]", has_text="2 commits").wait_for()
    rows = trials_grid.locator(".ag-center-cols-container .ag-row")
    assert rows.count() == 2
    page.page.locator("#compare-tag-filter").click()
    page.page.get_by_role("option", name="baseline", exact=True).click()
    trials_grid.locator(f'.ag-center-cols-container .ag-row[row-id="{second}"]').wait_for(
        state="detached"
    )
    assert rows.count() == 1
    page.shot("compare-tags")

    # The same edit replayed by another site (the session cookie goes along, the CSRF
    # token cannot): refused, nothing written.
    cookies = {c["name"]: c["value"] for c in page.page.context.cookies()}
    body = json.loads(saving.value.post_data)
    for state in body["state"]:
        if "note" in json.dumps(state["id"]):
            state["value"] = "forged"
    forged = httpx.post(
        f"{server.url}/dashboard/_dash-update-component",
        json=body,
        cookies={"sessionid": cookies["sessionid"], "csrftoken": cookies["csrftoken"]},
        headers={"Origin": "https://evil.example"},
        timeout=30,
    )
    assert "Not saved" in forged.text, forged.text
    no_token = httpx.post(
        f"{server.url}/dashboard/_dash-update-component",
        json=body,
        cookies={"sessionid": cookies["sessionid"]},
        timeout=30,
    )
    assert "Not saved" in no_token.text, no_token.text
    reader = httpx.post(
        f"{server.url}/dashboard/_dash-update-component",
        json=body,
        headers={"Authorization": f"Bearer {guarded['tokens']['read']}"},
        timeout=30,
    )
    assert "Not saved" in reader.text and "read-only" in reader.text, reader.text
    assert _annotations(guarded, "trial", first)["note"] == "the reference run\nlr warm-up off"
