"""The dashboard's index page: the page its address names inline, Dash's polyfill and
DataTable's bundle left out, and the page drawn in the browser without Dash's first requests."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

import kuro.dashboard
from kuro.server.wsgi import application
from tests.dashboard.example_program import GROUP

_HINT = b"//# allFunctionsCalledOnLoad\n"
_INLINE = re.compile(
    r'<script type="application/json" id="(?P<id>_kuro-[a-z]+)" data-address="(?P<address>[^"]*)">'
    r"(?P<text>.*?)</script>",
    re.S,
)


def _inline(html: str) -> dict[str, tuple[str, Any]]:
    """Each inline JSON script of an index page: its id to (address, decoded JSON)."""
    return {
        m["id"]: (m["address"].replace("&amp;", "&"), json.loads(m["text"]))
        for m in _INLINE.finditer(html)
    }


def _find(node: Any, component_id: str) -> dict[str, Any] | None:
    """The component with ``component_id`` in a layout's JSON."""
    if isinstance(node, list):
        return next((f for n in node if (f := _find(n, component_id)) is not None), None)
    if not isinstance(node, dict):
        return None
    props = node.get("props", {})
    if props.get("id") == component_id:
        return node
    return _find(props.get("children"), component_id)


@pytest.mark.django_db(transaction=True)
def test_index_carries_the_page_its_address_names():
    """The compare page's index holds its layout with the page built for the query (the
    location holding the address) and the callbacks Dash would send."""
    client = Client(application)
    html = client.get("/dashboard/?group=nope&metric=val_acc").get_data(as_text=True)
    inline = _inline(html)
    address, layout = inline["_kuro-layout"]
    assert address == "/dashboard/?group=nope&metric=val_acc"
    location = _find(layout, "_pages_location")
    assert location is not None
    assert location["props"]["pathname"] == "/dashboard/"
    assert location["props"]["search"] == "?group=nope&metric=val_acc"
    picker = _find(layout, "_pages_content")
    assert picker is not None and "compare-body" in json.dumps(picker)
    assert inline["_kuro-dependencies"][1] == client.get("/dashboard/_dash-dependencies").json
    # The renderer starts after them.
    assert html.index("_kuro-dependencies") < html.index('<script id="_dash-renderer"')


@pytest.mark.django_db(transaction=True)
def test_inline_layout_cannot_end_its_script_early():
    """A group named ``</script>...`` stays inside the inline JSON."""
    client = Client(application)
    name = "</script><b>x"
    created = client.post(
        "/api/v1/experiments", json={"group": name, "identifier": "m", "hyper_parameters": {}}
    )
    assert created.status_code == 200, created.get_data(as_text=True)
    html = client.get("/dashboard/?group=%3C/script%3E%3Cb%3Ex").get_data(as_text=True)
    assert name in json.dumps(_inline(html)["_kuro-layout"][1])
    assert "<b>x" not in html


@pytest.mark.django_db(transaction=True)
def test_unknown_pages_and_dash_layout_keep_dashs_page_container():
    """For an address no page has, and from ``_dash-layout``, the page container is Dash's
    own: empty, its location unset, so Dash's routing callback fills it."""
    client = Client(application)
    _, unknown = _inline(client.get("/dashboard/no/such/page").get_data(as_text=True))[
        "_kuro-layout"
    ]
    for layout in (unknown, client.get("/dashboard/_dash-layout").json):
        content, location = _find(layout, "_pages_content"), _find(layout, "_pages_location")
        assert content is not None and not content["props"].get("children")
        assert location is not None and "pathname" not in location["props"]


@pytest.mark.django_db(transaction=True)
def test_index_leaves_out_the_polyfill_and_datatable():
    """Dash's @babel/polyfill is replaced by regenerator-runtime alone, in its place; the
    DataTable bundle is left out; the chunks every page loads are preloaded."""
    html = Client(application).get("/dashboard/workers").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert not [s for s in scripts if "polyfill" in s or "dash_table" in s]
    assert "vendor/regenerator-runtime.js" in scripts[0]  # where the polyfill was: first
    assert re.search(r'rel="preload" as="script" href="[^"]*async-community\.js"', html)


@pytest.mark.django_db(transaction=True)
def test_first_scripts_carry_the_compile_hint():
    """Every script the page loads from Dash's bundles, and Kuro's plotly.js, is served with
    V8's compile hint on its first line, the rest of it unchanged; Kuro's small assets and a
    revalidated script (304) are served as they are."""
    client = Client(application)

    def fetch(url: str, **headers: str) -> tuple[int, bytes, Any]:
        with client.get(url, headers=headers) as served:
            return served.status_code, served.get_data(), served.headers

    html = client.get("/dashboard/workers").get_data(as_text=True)
    bundles = [
        s
        for s in re.findall(r'(?:src|href)="([^"]+\.js)(?:\?[^"]*)?"', html)
        if "_dash-component-suites" in s
    ]
    assert len(bundles) >= 10, bundles
    for url in bundles:
        status, body, headers = fetch(url)
        assert status == 200, url
        assert body.startswith(_HINT), url
        assert int(headers["Content-Length"]) == len(body)
    plotly = Path(kuro.dashboard.__file__).parent / "assets/plotly/plotly-kuro.min.js"
    assert fetch("/dashboard/assets/plotly/plotly-kuro.min.js")[1] == _HINT + plotly.read_bytes()
    assert not fetch("/dashboard/assets/lazy_charts.js")[1].startswith(b"//#")
    chunk = "/dashboard/_dash-component-suites/dash/dcc/async-graph.js"
    etag = fetch(chunk)[2]["ETag"]
    assert fetch(chunk, **{"If-None-Match": etag})[0] == 304


@pytest.mark.django_db(transaction=True)
def test_kuros_assets_are_versioned_and_kept():
    """Every asset of Kuro's the index page names (styles, scripts, the preloaded plotly.js)
    has its content's version in its address, and is served by it to be kept a year; asked
    for without a version, or by another content's (a server of another version behind the
    same proxy), it is revalidated as before; nothing else is kept so."""
    client = Client(application)
    html = client.get("/dashboard/workers").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/dashboard/assets/[^"]+)"', html)
    assert len(assets) >= 8, assets
    assert "?m=" not in html
    plotly = re.search(r'<link rel="preload" as="script" id="_kuro-plotly" href="([^"]+)"', html)
    assert plotly and plotly[1] in assets

    def cache(url: str) -> tuple[int, str]:
        with client.get(url) as served:
            return served.status_code, served.headers.get("Cache-Control", "")

    for url in assets:
        path, _, version = url.partition("?v=")
        file = Path(kuro.dashboard.__file__).parent / path.removeprefix("/dashboard/")
        assert version == hashlib.sha256(file.read_bytes()).hexdigest()[:16], url
        assert cache(url) == (200, "public, max-age=31536000, immutable"), url
        assert "immutable" not in cache(path)[1], path
        assert "immutable" not in cache(f"{path}?v=0123456789abcdef")[1], path
    version = assets[0].partition("?v=")[2]
    assert cache(f"/dashboard/assets/no-such.js?v={version}")[0] == 404
    assert "immutable" not in cache(f"/dashboard/x/assets/kuro.css?v={version}")[1]


@pytest.mark.live
def test_a_page_opened_again_takes_kuros_assets_from_the_cache(page, study):
    """Opened again, the compare page asks the server for none of Kuro's assets (each a
    round trip before, to be told it had not changed): the browser's Resource Timing shows
    them fetched the first time and taken from its cache, nothing transferred, the second."""
    url = f"{study['url']}/dashboard/?group={GROUP}&metric=val_acc"
    charts = "() => document.querySelectorAll('#compare-curves .js-plotly-plot').length === 2"
    sizes = """() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/dashboard/assets/'))
        .map(e => [e.name, e.transferSize])"""
    page.page.goto(url)
    page.page.wait_for_function(charts)
    first = page.page.evaluate(sizes)
    page.page.goto(url)
    page.page.wait_for_function(charts)
    again = page.page.evaluate(sizes)
    assert any("plotly-kuro" in name for name, _ in first), first
    assert all(size > 0 for _, size in first), first
    assert {name for name, _ in again} == {name for name, _ in first}
    assert all(size == 0 for _, size in again), again


@pytest.mark.live
def test_page_draws_without_dashs_first_requests(page, study):
    """The compare page draws from its index alone (no layout, dependencies or routing
    request); the routing callback still serves a move to another page and back."""
    requests: list[tuple[str, str]] = []
    page.page.on("request", lambda r: requests.append((r.url, r.post_data or "")))
    page.page.goto(f"{study['url']}/dashboard/?group={GROUP}&metric=val_acc")
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length === 3"
    )
    assert page.page.title() == "Kuro · compare"
    assert "Mean across trials" in page.page.locator(".kuro-guide").text_content()
    assert not [u for u, _ in requests if "_dash-layout" in u or "_dash-dependencies" in u]
    assert not [body for _, body in requests if "_pages_content" in body]
    assert page.page.evaluate("typeof regeneratorRuntime.mark") == "function"
    page.page.get_by_role("link", name="Workers").click()
    page.page.wait_for_url("**/dashboard/workers")
    page.page.wait_for_function("() => document.title === 'Kuro · workers'")
    assert [body for _, body in requests if "_pages_content" in body]
    page.page.go_back()
    page.page.wait_for_function(
        "() => document.querySelectorAll('#compare-bars .js-plotly-plot').length === 3"
    )
    assert "group=" in page.page.url


def _props(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for n in node:
            yield from _props(n)
    elif isinstance(node, dict) and "props" in node:
        yield node["props"]
        for value in node["props"].values():
            yield from _props(value)


@pytest.mark.django_db(transaction=True)
def test_validation_layout_holds_ids_not_data():
    """The validation layout Dash puts in every index page (every page's layout, built once
    with no address: the compare page of a lone group with all its data) keeps each
    component's id and nothing else."""
    html = Client(application).get("/dashboard/workers").get_data(as_text=True)
    config = json.loads(re.search(r'id="_dash-config"[^>]*>(.*?)</script>', html, re.S)[1])
    props = list(_props(config["validation_layout"]))
    ids = {json.dumps(p["id"], sort_keys=True) for p in props if "id" in p}
    assert '"_pages_content"' in ids
    assert all(k == "id" or isinstance(v, dict | list) for p in props for k, v in p.items())
