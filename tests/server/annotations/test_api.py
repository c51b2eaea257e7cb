"""The annotations API: tags and notes of experiments and trials, their errors, the group
listing, the export and the OpenAPI schema."""

from __future__ import annotations

import pytest

from kuro.core.limits import NOTE_MAX, TAGS_MAX

pytestmark = pytest.mark.django_db


def test_tags_add_and_remove_are_idempotent(api, trial):
    """Adding a tag twice keeps one; removing an absent tag is no error; answers are sorted."""
    path = f"/trials/{trial['id']}/annotations"
    assert api.post(path, {"add": ["b", "a"]}) == (200, {"tags": ["a", "b"], "note": ""})
    assert api.post(path, {"add": ["a"]}) == (200, {"tags": ["a", "b"], "note": ""})
    assert api.post(path, {"remove": ["b", "zz"]}) == (200, {"tags": ["a"], "note": ""})
    assert api.get(path) == (200, {"tags": ["a"], "note": ""})


def test_note_is_set_replaced_and_cleared(api, trial):
    """A note replaces the last; "" clears it; null leaves it."""
    path = f"/experiments/{trial['experiment_id']}/annotations"
    assert api.post(path, {"note": "first"})[1]["note"] == "first"
    assert api.post(path, {"note": "second", "add": ["x"]})[1] == {"tags": ["x"], "note": "second"}
    assert api.post(path, {"note": None})[1]["note"] == "second"
    assert api.post(path, {"note": ""})[1]["note"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"add": ["has space"]}, "add[0]"),
        ({"add": ["ok", "a,b"]}, "add[1]"),
        ({"add": ["x" * 65]}, "add[0]"),
        ({"add": [""]}, "add[0]"),
        ({"remove": [7]}, "remove[0]"),
        ({"add": "baseline"}, "add"),
        ({"add": ["tab\u0007"]}, "add[0]"),
        ({"note": "x" * (NOTE_MAX + 1)}, "note"),
        ({"note": 5}, "note"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, trial, body, field):
    """Every bad tag or note is refused before anything is written, naming its field."""
    status, answer = api.post(f"/trials/{trial['id']}/annotations", body)
    assert status == 422, answer
    assert answer["error"] == "invalid"
    assert answer["detail"]["field"] == field
    assert api.get(f"/trials/{trial['id']}/annotations")[1] == {"tags": [], "note": ""}


def test_too_many_tags_are_refused(api, trial):
    """At most TAGS_MAX tags per trial: the add that would pass it is refused whole."""
    path = f"/trials/{trial['id']}/annotations"
    assert api.post(path, {"add": [f"t{i}" for i in range(TAGS_MAX)]})[0] == 200
    status, answer = api.post(path, {"add": ["one-more"]})
    assert (status, answer["detail"]["field"]) == (422, "add")
    assert len(api.get(path)[1]["tags"]) == TAGS_MAX


@pytest.mark.parametrize("kind", ["trials", "experiments"])
def test_unknown_objects_are_404(api, kind):
    """Annotating a trial or experiment that does not exist is a 404 naming its id."""
    status, answer = api.post(f"/{kind}/999999/annotations", {"add": ["a"]})
    assert status == 404 and answer["detail"]["field"] == f"{kind[:-1]}_id"
    assert api.get(f"/{kind}/999999/annotations")[0] == 404


def test_group_annotations_list_what_carries_tags_or_notes(api, trial):
    """GET /annotations?group= lists the annotated experiments and trials only."""
    api.post(f"/trials/{trial['id']}/annotations", {"add": ["best"], "note": "n"})
    api.post(f"/experiments/{trial['experiment_id']}/annotations", {"add": ["base"]})
    status, answer = api.get("/annotations", group="g")
    assert status == 200
    assert answer == {
        "group": "g",
        "experiments": [{"id": trial["experiment_id"], "tags": ["base"], "note": ""}],
        "trials": [{"id": trial["id"], "tags": ["best"], "note": "n"}],
    }
    assert api.get("/annotations", group="nope")[0] == 404


def test_export_carries_tags_and_notes(api, trial):
    """GET /export: each experiment and trial has its tags and note."""
    api.post(f"/trials/{trial['id']}/annotations", {"add": ["best"], "note": "why"})
    _, doc = api.get("/export", group="g")
    [experiment] = doc["experiments"]
    assert (experiment["tags"], experiment["note"]) == ([], "")
    [exported] = experiment["trials"]
    assert (exported["tags"], exported["note"]) == (["best"], "why")


def test_openapi_documents_the_fields(api):
    """The schema names the endpoints and documents add, remove and note."""
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/trials/{trial_id}/annotations" in schema["paths"]
    assert "/api/v1/experiments/{experiment_id}/annotations" in schema["paths"]
    fields = schema["components"]["schemas"]["AnnotationsIn"]["properties"]
    assert set(fields) == {"add", "remove", "note"}
    assert all(fields[name].get("description") for name in fields)
