"""The tags-and-note panel and the dashboard's write check, without a browser: who sees
the editing controls, and who may write."""

from __future__ import annotations

import pytest
from plotly.io.json import to_json_plotly

from kuro.core.errors import AuthError, Forbidden
from kuro.dashboard import create_app
from kuro.dashboard.components.annotations import AnnotationsPanel, trial_annotations
from kuro.dashboard.writes import check_write, may_write
from kuro.server.accounts.services import token_create
from kuro.server.annotations.services import annotation_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return create_app()


def _has_input(panel) -> bool:
    return '"subcomponent":"tag-input"' in to_json_plotly(panel).replace(" ", "")


def test_open_server_edits(app, trial):
    """Auth off (a workstation): the panel has its controls, and anyone may write."""
    annotation_update(kind="trial", ident=trial["id"], add=["shown"], note="a note")
    with app.server.test_request_context("/dashboard/trial/1"):
        panel = AnnotationsPanel("trial", trial["id"], title="Trial")
        assert may_write() and check_write() == "anonymous"
    assert _has_input(panel)
    text = to_json_plotly(panel)
    assert "shown" in text and "a note" in text


def test_read_only_token_sees_but_cannot_edit(app, trial, settings):
    """Auth on, a read-only token: tags and note shown as text, no controls; a write is
    refused."""
    settings.KURO_AUTH = True
    _, token = token_create(name="reader", read_only=True)
    annotation_update(kind="trial", ident=trial["id"], note="read me")
    headers = {"Authorization": f"Bearer {token}"}
    with app.server.test_request_context("/dashboard/_dash-update-component", headers=headers):
        panel = AnnotationsPanel("trial", trial["id"], title="Trial")
        assert not may_write()
        with pytest.raises(Forbidden, match="read-only"):
            check_write()
    assert not _has_input(panel) and "read me" in to_json_plotly(panel)


def test_anonymous_and_forged_requests_are_refused(app, trial, settings):
    """Auth on: no credentials is 401; a full token writes without a CSRF token (browsers
    never send one by themselves)."""
    settings.KURO_AUTH = True
    with app.server.test_request_context("/dashboard/_dash-update-component", method="POST"):
        assert not may_write()
        with pytest.raises(AuthError):
            check_write()
    _, token = token_create(name="full")
    headers = {"Authorization": f"Bearer {token}"}
    with app.server.test_request_context(
        "/dashboard/_dash-update-component", method="POST", headers=headers
    ):
        assert check_write() == "full"


def test_trial_section_holds_the_trial_and_its_experiment(app, trial):
    """The trial page's section: one panel for the trial, one for its experiment; none for
    an id that names no trial."""
    with app.server.test_request_context("/dashboard/trial/1"):
        section = trial_annotations(str(trial["id"]))
        assert trial_annotations("nope") is None and trial_annotations("99999") is None
    panels = [
        (props["data-kind"], props["data-id"])
        for props in _all_props(section.to_plotly_json())
        if "data-kind" in props
    ]
    assert panels == [("trial", str(trial["id"])), ("experiment", str(trial["experiment_id"]))]


def _all_props(node):
    """Every component's props under ``node`` (a component's JSON), depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _all_props(item)
    elif hasattr(node, "to_plotly_json"):
        yield from _all_props(node.to_plotly_json())
    elif isinstance(node, dict) and "props" in node:
        yield node["props"]
        yield from _all_props(node["props"].get("children"))
