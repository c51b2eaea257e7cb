"""Kuro's partial plotly.js bundle: the version Dash ships, every trace type the dashboard
draws, and the one the browser loads (never the full 4.8 MB bundle)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

import kuro.dashboard
from tests.dashboard.example_program import GROUP

DASHBOARD = Path(kuro.dashboard.__file__).parent
SOURCES = DASHBOARD / "assets-src"
BUNDLE = DASHBOARD / "assets" / "plotly" / "plotly-kuro.min.js"
TRACES = json.loads((SOURCES / "traces.json").read_text())
FULL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
PARTIAL = "/assets/plotly/plotly-kuro.min.js"


def _trace_types_in_source() -> set[str]:
    """Trace types named in the dashboard's code: the values of ``"type"`` keys (either
    branch of a conditional) that are Plotly trace types, in every module."""
    known = {
        name.lower()
        for name in dir(go)
        if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
    }
    found = set()
    for path in DASHBOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and key.value == "type"):
                    continue
                branches = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                found |= {b.value for b in branches if isinstance(b, ast.Constant)} & known
    return found


def test_bundle_holds_every_trace_type_the_dashboard_draws():
    """Each trace type in the dashboard's figures is in the bundle (traces.json), and only
    those: a new chart type needs ``make plotly-bundle``."""
    assert _trace_types_in_source() == set(TRACES)


def test_bundle_is_the_plotly_js_version_dash_serves():
    """The bundle is built from the plotly.js that plotly.py (Dash's) ships, as pinned."""
    version = get_plotlyjs_version()
    header = BUNDLE.read_text()[:400]
    assert re.search(rf"plotly\.js v{re.escape(version)}, partial bundle for Kuro", header)
    assert json.loads((SOURCES / "package.json").read_text())["dependencies"] == {
        "plotly.js": version
    }
    lock = json.loads((SOURCES / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/plotly.js"]["version"] == version
    assert BUNDLE.stat().st_size < 2_000_000  # the full bundle is 4.8 MB


@pytest.mark.live
def test_browser_loads_the_partial_bundle(page, study):
    """The compare page fetches the partial bundle, never the full one; plotly.js then has
    exactly the bundle's trace types, and the charts draw."""
    fetched: list[str] = []
    page.page.on("request", lambda request: fetched.append(request.url))
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-curves .js-plotly-plot').length === 2"
    )
    registered = page.page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")
    assert sorted(registered) == sorted(TRACES)
    assert page.page.evaluate("Plotly.version") == get_plotlyjs_version()
    assert any(url.split("?")[0].endswith(PARTIAL) for url in fetched)
    assert not any(FULL in url for url in fetched)


@pytest.mark.live
def test_full_bundle_stands_in_when_the_partial_one_fails(page, study):
    """If the partial bundle cannot be fetched, the full one is loaded and charts still draw."""
    page.page.route(f"**{PARTIAL}*", lambda route: route.abort())
    page.page.on("console", lambda _: None)
    fetched: list[str] = []
    page.page.on("request", lambda request: fetched.append(request.url))
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-curves .js-plotly-plot').length === 2"
    )
    assert any(FULL in url for url in fetched)
    assert "parcoords" in page.page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")
    # The aborted request is the one console error expected here.
    page.errors[:] = [e for e in page.errors if "ERR_FAILED" not in e]
