"""The dashboard's index page: Dash's, lighter, with the page the address names already in it.

Dash serves every page as one index (scripts and an empty root); its renderer then asks for
the layout (``_dash-layout``) and the callbacks (``_dash-dependencies``), and a routing
callback on the page container's location fills in the page: three requests in a row after
the scripts are evaluated, the last one building the page on the server. Here the index is
sent in two parts: at once everything but the renderer's start (so the browser fetches and
evaluates the scripts), then, once built, the layout with the page in it and the callbacks,
inline (``assets/inline_layout.js`` hands them to the renderer in place of its two requests).
The page is built on the server while the browser evaluates the scripts; the location holds
the address, so the routing callback does not fire on load (it serves every later move). If
the page cannot be built there, the index goes out without it and the page loads as Dash's.

The index also leaves out scripts the dashboard does not need, and has the browser fetch the
chunks every page loads (charts, grids, dropdowns, sliders) while it evaluates the scripts.

Kuro's own assets are fetched by addresses that name their content (``?v=`` and the start of
its SHA-256, where Dash writes the file's modification time), and an asset asked for by its
current content's address is served to be kept a year (``Cache-Control: immutable``): a
page opened again, or another page, takes them from the browser's cache without asking the
server whether they changed (a round trip each, a dozen of them, which on a remote server's
latency is most of a warm load). A changed file gets a new address; an address naming
other content than the file's (a server of another version behind the same proxy) is
served as before, to be revalidated; servers of one version name the same addresses.

The scripts every page runs as it loads are served with V8's explicit compile hint (the
comment ``//# allFunctionsCalledOnLoad`` on their first line, Chromium 136 and later; other
browsers read a comment): V8 compiles all their functions on a background thread while the
script is fetched, instead of each on the page's main thread the first time it is called,
in the middle of drawing the page. In a cold load of the compare page that compiling was
about a quarter of the main thread's time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import dash
import flask
from dash import _pages, dcc, html
from dash._utils import to_json
from dash.development.base_component import Component
from django.db import close_old_connections
from werkzeug.security import safe_join

__all__ = ["KuroDash", "page_container"]

_log = logging.getLogger("kuro.dashboard")

# Dash's page container (``dash.page_container``): its ids, which its routing callback uses.
_LOCATION, _CONTENT, _STORE, _DUMMY = (
    "_pages_location",
    "_pages_content",
    "_pages_store",
    "_pages_dummy",
)

# The scripts Dash puts in every page: @babel/polyfill (core-js 2, 97 kB) only for its
# regeneratorRuntime, which the renderer and dcc call and browsers lack (core-js also swaps
# native functions such as String.prototype.trim for slower copies: about 0.15 s of a first
# load); DataTable's bundle, which Kuro never draws.
_POLYFILL = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')
_DATA_TABLE = re.compile(r'<script src="[^"]*/dash_table/bundle[^"]*"></script>\n?')
_RUNTIME = "vendor/regenerator-runtime.js"
# Kuro's plotly.js, fetched while the page's scripts are evaluated; assets/plotly_early.js
# takes its versioned address from this preload's id.
_PLOTLY = "plotly/plotly-kuro.min.js"
_PLOTLY_ID = "_kuro-plotly"
# Chunks every page loads once its first components render: fetched then too.
_PRELOADED = (
    "_dash-component-suites/dash/dcc/async-graph.js",
    "_dash-component-suites/dash/dcc/async-dropdown.js",
    "_dash-component-suites/dash/dcc/async-slider.js",
    "_dash-component-suites/dash_ag_grid/async-community.js",
)
_RENDERER = '<script id="_dash-renderer"'
# The scripts served with the compile hint: Dash's bundles and chunks (the page runs most of
# what it loads of them at once), and Kuro's plotly.js; not the full plotly.js, only the
# fallback of Kuro's (assets/plotly_early.js).
_HINT = b"//# allFunctionsCalledOnLoad\n"
_EAGER = re.compile(r"/_dash-component-suites/.*\.js$|/assets/plotly/plotly-kuro\.min\.js$")
_FULL_PLOTLY = "/plotly/package_data/"
# How long a versioned asset is kept: a year, never revalidated.
_KEPT = "public, max-age=31536000, immutable"


def page_container(address: str | None = None) -> html.Div:
    """Dash's page container; with the page at ``address`` (a path and query, as the
    browser's location has them) already in it and its location holding the address."""
    if address is None:
        return dash.page_container
    path, _, query = address.partition("?")
    app = dash.get_app()
    page, variables = _pages._path_to_page(app.strip_relative_path(path))
    if not page:
        return dash.page_container
    search = f"?{query}" if query else ""
    layout = page["layout"]
    if callable(layout):
        layout = layout(**(variables or {}), **_pages._parse_query_string(search))
    title = page["title"]
    if callable(title):
        title = title(**(variables or {}))
    return html.Div(
        [
            dcc.Location(id=_LOCATION, refresh="callback-nav", pathname=path, search=search),
            html.Div(layout, id=_CONTENT, disable_n_clicks=True),
            dcc.Store(id=_STORE, data={"title": title}),
            html.Div(id=_DUMMY, disable_n_clicks=True),
        ]
    )


def _skeleton(node: Any) -> Any:
    """A layout with only its components' ids and component-valued props: what the renderer
    checks callbacks against (their ids exist), without the data of the pages it holds."""
    if isinstance(node, Component):
        props = {}
        for name, value in node.to_plotly_json()["props"].items():
            if name == "id":
                props[name] = value
            elif isinstance(value, Component) or (
                isinstance(value, list | tuple) and any(isinstance(v, Component) for v in value)
            ):
                props[name] = _skeleton(value)
        return {"type": node._type, "namespace": node._namespace, "props": props}
    if isinstance(node, list | tuple):
        return [_skeleton(v) for v in node if isinstance(v, Component)]
    return None


def _inline(element_id: str, text: str, address: str) -> str:
    # JSON never holds "<" outside a string, where \u003c reads the same: nothing ends the
    # <script> early.
    text = text.replace("<", "\\u003c")
    attribute = address.replace("&", "&amp;").replace('"', "&quot;")
    return (
        f'<script type="application/json" id="{element_id}" data-address="{attribute}">'
        f"{text}</script>"
    )


def _compile_hint(response: flask.Response) -> flask.Response:
    """A script the page runs as it loads (``_EAGER``) with the compile hint on top."""
    path = flask.request.path
    if (
        response.status_code == 200
        and flask.request.method == "GET"
        and _EAGER.search(path)
        and _FULL_PLOTLY not in path
    ):
        response.direct_passthrough = False  # a static file's body is read to be changed
        response.set_data(_HINT + response.get_data())
    return response


# (file, modification time, size) -> the start of its content's SHA-256.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _version(folder: str, path: str) -> str | None:
    """The version of the asset ``path`` in ``folder``: the first 16 hex digits of its
    content's SHA-256, computed once per state of the file; None if there is no such file."""
    file = safe_join(folder, path)
    if file is None:
        return None
    try:
        stat = os.stat(file)
        key = (file, stat.st_mtime_ns, stat.st_size)
        version = _DIGESTS.get(key)
        if version is None:
            with open(file, "rb") as f:
                version = hashlib.sha256(f.read()).hexdigest()[:16]
            _DIGESTS[key] = version
    except OSError:
        return None
    return version


def _kept(response: flask.Response) -> flask.Response:
    """An asset asked for by its current content's address (``?v=``) is kept a year."""
    request = flask.request
    blueprint = request.blueprint or ""
    if (
        response.status_code in (200, 304)
        and request.method in ("GET", "HEAD")
        and "v" in request.args
        and blueprint.endswith("dash_assets")
        and request.endpoint == f"{blueprint}.static"
    ):
        folder = flask.current_app.blueprints[blueprint].static_folder
        path = (request.view_args or {}).get("filename", "")
        if folder and request.args["v"] == _version(folder, path):
            response.headers["Cache-Control"] = _KEPT
    return response


class KuroDash(dash.Dash):
    """Dash with the index page described in this module (through ``index`` and
    ``interpolate_index``, which Dash lets apps override), its first scripts served with
    V8's compile hint, its versioned assets kept by the browser."""

    def init_app(self, app: Any = None, **kwargs: Any) -> None:
        super().init_app(app, **kwargs)
        hooks = self.server.after_request_funcs.get(None, [])
        for hook in (_compile_hint, _kept):
            if hook not in hooks:
                self.server.after_request(hook)

    def versioned_asset_url(self, path: str) -> str:
        """The address of ``assets/<path>`` naming its content (without, if it is missing)."""
        version = _version(self.config.assets_folder, path)
        url = self.get_asset_url(path)
        return f"{url}?v={version}" if version else url

    def _versioned(self, tags: str) -> str:
        """``tags`` with the addresses of Kuro's assets naming their content, not Dash's
        modification time (which differs from one install to the next)."""
        assets = re.escape(self.get_asset_url(""))
        return re.sub(
            rf'"{assets}([^"?]+)\?m=[^"]*"',
            lambda m: f'"{self.versioned_asset_url(m[1])}"',
            tags,
        )

    def interpolate_index(
        self,
        metas: str = "",
        title: str = "",
        css: str = "",
        config: str = "",
        scripts: str = "",
        app_entry: str = "",
        favicon: str = "",
        renderer: str = "",
    ) -> str:
        prefix = self.config.requests_pathname_prefix
        runtime = self.versioned_asset_url(_RUNTIME)
        scripts = _POLYFILL.sub(f'<script src="{runtime}"></script>', scripts)
        plotly = self.versioned_asset_url(_PLOTLY)
        preloads = f'<link rel="preload" as="script" id="{_PLOTLY_ID}" href="{plotly}">'
        preloads += "".join(
            f'<link rel="preload" as="script" href="{prefix}{path}">' for path in _PRELOADED
        )
        return super().interpolate_index(
            metas=metas,
            title=title,
            css=preloads + self._versioned(css),
            config=config,
            scripts=self._versioned(_DATA_TABLE.sub("", scripts)),
            app_entry=app_entry,
            favicon=favicon,
            renderer=renderer,
        )

    def _config(self) -> dict[str, Any]:
        # Dash sends its validation layout (every page's layout, built once per process with
        # no address: the compare page of a lone group with all its data) in every index
        # page; the renderer reads only its ids.
        config: dict[str, Any] = super()._config()
        layout = config.get("validation_layout")
        if layout is not None:
            if getattr(self, "_kuro_validation", (None, None))[0] is not layout:
                self._kuro_validation = (layout, _skeleton(layout))
            config["validation_layout"] = self._kuro_validation[1]
        return config

    def index(self, *args: Any, **kwargs: Any) -> Any:
        text = super().index(*args, **kwargs)
        request = flask.request
        head, renderer, tail = text.partition(_RENDERER)
        if request.method != "GET" or not renderer:
            return text
        address = quote(request.path, safe="/:@!$&'()*+,;=-._~")
        if request.query_string:
            address += "?" + request.query_string.decode("latin-1")

        def parts() -> Iterator[str]:
            yield head
            try:
                flask.g.kuro_address = address
                layout = to_json(self.get_layout())
                callbacks = to_json(self._callback_list)
            except Exception:  # the page loads as Dash's; its callback says what is wrong
                _log.warning("the page %s was not built into its index", address, exc_info=True)
                yield renderer + tail
                return
            finally:
                close_old_connections()  # as the dispatcher does: the request is over
            yield _inline("_kuro-layout", layout, address)
            yield _inline("_kuro-dependencies", callbacks, address)
            yield renderer + tail

        return flask.Response(flask.stream_with_context(parts()), mimetype="text/html")
