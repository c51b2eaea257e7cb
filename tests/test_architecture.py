"""The import rules that keep the architecture: each package imports only the layers it
may, read from the source (every import statement, also those inside functions)."""

from __future__ import annotations

import ast
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
