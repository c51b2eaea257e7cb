"""Text the databases cannot store, and bodies that are not objects: a 422 naming the field."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LONE = '"\\ud83d"'  # a lone high surrogate, as JSON escapes it


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        (
            "/experiments",
            '{"group": "g", "identifier": "m", "hyper_parameters": {@: 1}}',
            None,
        ),
        (
            "/experiments",
            '{"group": "g", "identifier": "m", "hyper_parameters": {"x": @}}',
            "hyper_parameters.x",
        ),
        ("/experiments", '{"group": @, "identifier": "m"}', "group"),
        ("/experiments", '{"group": "g", "identifier": @}', "identifier"),
        ("/metrics", '{"group": "g", "name": @, "mode": "max"}', "name"),
        ("/workers", '{"name": "w", "hostname": @}', "hostname"),
        ("/workers", '{"name": "w", "gpus": [{"name": @}]}', "gpus[0].name"),
    ],
)
def test_a_lone_surrogate_is_a_422_naming_the_field(api, path, raw, field):
    """A lone surrogate in any text (key or value) is refused before the database sees it."""
    status, body = api.post(path, raw=raw.replace("@", LONE))
    assert status == 422, body
    assert body["error"] == "invalid"
    if field is not None:
        assert body["detail"]["field"] == field
    assert "surrogate" in body["message"]


def test_a_valid_surrogate_pair_is_stored(api):
    """An escaped emoji (a surrogate pair) is ordinary text."""
    status, body = api.post(
        "/experiments",
        raw='{"group": "g", "identifier": "m", "hyper_parameters": {"\\ud83d\\ude00": 1}}',
    )
    assert status == 200, body
    assert body["hyper_parameters"] == {"\U0001f600": 1}


@pytest.mark.parametrize("raw", ["[1, 2, 3]", "[]", "1", '"text"', "null", "true"])
@pytest.mark.parametrize("path", ["/points", "/experiments", "/workers", "/history"])
def test_a_body_that_is_not_an_object_is_a_422(api, path, raw):
    """Every endpoint takes a JSON object; anything else is refused, not read as empty."""
    status, body = api.post(path, raw=raw)
    assert status == 422, body
    assert body["detail"]["field"] == "body"
