"""The import rules that keep the architecture: each package imports only the layers it
may, read from the source (every import statement, also those inside functions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
SERVER_ONLY = ("django", "ninja", "dash", "dash_ag_grid", "plotly", "pydantic", "optuna")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports (``from a import b`` counts as ``a.b`` and ``a``)."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path).rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


MODULES = {
    _module_name(path): _imports(path)
    for path in sorted(SRC.rglob("*.py"))
    if "migrations" not in path.parts
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(importer_prefix: str, forbidden) -> list[str]:
    return sorted(
        f"{module} imports {imported}"
        for module, imported_names in MODULES.items()
        if _within(module, importer_prefix)
        for imported in imported_names
        if forbidden(module, imported)
    )


def test_the_tree_was_read():
    """The rules below look at real modules (a moved tree would make them pass vacuously)."""
    for package in ("kuro.client", "kuro.core", "kuro.dashboard", "kuro.server.tracking"):
        assert any(_within(m, package) for m in MODULES), package


@pytest.mark.parametrize("package", ["kuro.client", "kuro.core"])
def test_client_and_core_never_import_the_server_stack(package):
    """The light client and the shared core import no Django, ninja, Dash, Plotly, Optuna,
    nor the server, the dashboard or the CLI."""
    bad = _violations(
        package,
        lambda _, name: (
            name.split(".")[0] in SERVER_ONLY
            or any(_within(name, p) for p in ("kuro.server", "kuro.dashboard", "kuro.cli"))
        ),
    )
    assert bad == []


def test_core_stands_alone():
    """The shared core imports nothing of Kuro but itself, and no HTTP library."""
    bad = _violations(
        "kuro.core",
        lambda _, name: (
            (_within(name, "kuro") and not _within(name, "kuro.core"))
            or name.split(".")[0] == "httpx"
        ),
    )
    assert bad == []


def test_tracking_never_imports_queue():
    """The queue builds on tracking, never the other way round."""
    assert _violations("kuro.server.tracking", lambda _, n: _within(n, "kuro.server.queue")) == []


def test_selectors_never_import_services():
    """Reads never import writes."""

    def forbidden(module: str, name: str) -> bool:
        return ".selectors" in module and ".services" in name and _within(name, "kuro.server")

    assert _violations("kuro.server", forbidden) == []


def test_dashboard_reads_through_selectors_only():
    """The dashboard imports no private client module, and nothing of the tracking app but
    its selectors."""

    def forbidden(module: str, name: str) -> bool:
        if _within(name, "kuro.client") and any(p.startswith("_") for p in name.split(".")[2:]):
            return True
        return _within(name, "kuro.server.tracking") and not (
            name == "kuro.server.tracking" or _within(name, "kuro.server.tracking.selectors")
        )

    assert _violations("kuro.dashboard", forbidden) == []


def test_tracking_never_imports_annotations():
    """Tags and notes build on tracking (its export calls a hook the app sets)."""
    assert (
        _violations("kuro.server.tracking", lambda _, n: _within(n, "kuro.server.annotations"))
        == []
    )


def test_dashboard_reaches_annotations_through_selectors_and_services():
    """The dashboard reads tags and notes through the app's selectors and edits them through
    its services (checked by ``kuro.dashboard.writes``), nothing else of it."""

    def forbidden(module: str, name: str) -> bool:
        return (
            _within(name, "kuro.server.annotations")
            and not any(
                name == p or _within(name, p)
                for p in (
                    "kuro.server.annotations.selectors",
                    "kuro.server.annotations.services",
                )
            )
            and name != "kuro.server.annotations"
        )

    assert _violations("kuro.dashboard", forbidden) == []


# The training frameworks kuro.integrations plugs into, and the module allowed each.
FRAMEWORKS = {
    "lightning": "kuro.integrations.lightning",
    "pytorch_lightning": "kuro.integrations.lightning",
    "torch": "kuro.integrations.lightning",
    "transformers": "kuro.integrations.transformers",
    "keras": "kuro.integrations.keras",
    "xgboost": "kuro.integrations.xgboost",
    "lightgbm": "kuro.integrations.lightgbm",
    "sklearn": "kuro.integrations.sklearn",
    "optuna": "kuro.integrations.optuna",
}


def test_integrations_import_the_client_only():
    """The integrations import no server stack, no NumPy, nothing of the server, the
    dashboard or the CLI, and no private client module: they use the client as users do."""
    stack = {*SERVER_ONLY, "numpy", "pandas"} - {"optuna"}  # optuna: see the next test

    def forbidden(_: str, name: str) -> bool:
        return (
            name.split(".")[0] in stack
            or any(_within(name, p) for p in ("kuro.server", "kuro.dashboard", "kuro.cli"))
            or (
                _within(name, "kuro.client") and any(p.startswith("_") for p in name.split(".")[2:])
            )
        )

    assert any(_within(m, "kuro.integrations.lightning") for m in MODULES)
    assert _violations("kuro.integrations", forbidden) == []


def test_each_integration_imports_its_own_framework_only():
    """``kuro.integrations.keras`` may import Keras, and no other framework; the rest of
    Kuro imports none (the base install stays httpx-only), but for the server's Optuna."""

    def forbidden(module: str, name: str) -> bool:
        top = name.split(".")[0]
        if top not in FRAMEWORKS:
            return False
        if top == "optuna" and _within(module, "kuro.server"):
            return False  # the queue's samplers and pruners: a server dependency
        return module != FRAMEWORKS[top]

    assert _violations("kuro", forbidden) == []


def test_importing_kuro_and_its_integrations_package_imports_no_framework():
    """``import kuro, kuro.integrations`` (and the two integrations that only read their
    framework's objects) loads no framework into the process."""
    code = (
        "import sys, kuro, kuro.integrations, kuro.integrations.sklearn, "
        "kuro.integrations.optuna\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FRAMEWORKS)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_telemetry_stands_beside_tracking():
    """Output and system samples build on tracking, never the other way round, and need
    nothing of the queue; the dashboard reads them through their selectors only."""
    assert (
        _violations("kuro.server.tracking", lambda _, n: _within(n, "kuro.server.telemetry")) == []
    )
    assert _violations("kuro.server.telemetry", lambda _, n: _within(n, "kuro.server.queue")) == []

    def forbidden(module: str, name: str) -> bool:
        return _within(name, "kuro.server.telemetry") and not (
            name == "kuro.server.telemetry" or _within(name, "kuro.server.telemetry.selectors")
        )

    assert any(_within(m, "kuro.server.telemetry") for m in MODULES)
    assert _violations("kuro.dashboard", forbidden) == []
