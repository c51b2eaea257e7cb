"""The trial page's Context section, its callback called as a function (no browser)."""

from __future__ import annotations

import pytest
from dash import dcc, html

from kuro.dashboard import create_app
from tests.server.tracking.test_context import _context

pytestmark = pytest.mark.django_db

LINK = '<a href="https://evil.example/">x</a>'


@pytest.fixture
def page():
    create_app()
    from kuro.dashboard.pages import trial

    return trial


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _walk(child)


def _strings(component) -> list[str]:
    found = []
    for node in _walk(component):
        children = getattr(node, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if isinstance(child, str):
                found.append(child)
    return found


def _section(content):
    [section] = [c for c in content if "Context" in _strings(c)]
    return section


def test_trial_page_shows_the_context(page, api, trial):
    """Commit, branch, dirty flag, command, host, scheduler ids, the diff and the packages,
    the diff and the packages folded in <details>."""
    api.post(f"/trials/{trial['id']}/context", _context())
    content, _ = page.show_trial(str(trial["id"]), 0, 0, None)
    section = _section(content)
    texts = _strings(section)
    for expected in (
        "a" * 40,
        "main",
        "yes",
        "train.py --lr 0.1",
        "/home/me/project",
        "node-1",
        "42",
        "+x = 1\n",
        "2 packages",
        "django==5.0\nnumpy==2.0.0",
    ):
        assert expected in texts, expected
    folds = [n for n in _walk(section) if isinstance(n, html.Details)]
    assert [f.id for f in folds] == ["trial-context-diff", "trial-context-packages"]


def test_user_strings_are_text_never_markup(page, api, trial):
    """Markup in the command, diff or branch stays a plain string (no Markdown, no links)."""
    git = {**_context()["git"], "branch": LINK, "diff": LINK}
    api.post(f"/trials/{trial['id']}/context", _context(git=git, argv=[LINK]))
    section = _section(page.show_trial(str(trial["id"]), 0, 0, None)[0])
    assert _strings(section).count(LINK) == 3
    nodes = list(_walk(section))
    assert not any(isinstance(n, (dcc.Markdown, html.A, html.Iframe)) for n in nodes)


def test_a_trial_without_context_says_so(page, api, trial):
    """No context sent (capture off): the section says so."""
    content, _ = page.show_trial(str(trial["id"]), 0, 0, None)
    assert "No run context" in _strings(_section(content))
