"""The public surface of ``kuro`` is exactly what ``__all__`` names."""

from __future__ import annotations

import subprocess
import sys
import types

import kuro


def test_all_is_exactly_the_public_names():
    """Every public attribute is in ``__all__`` and every name there exists."""
    public = {name for name in dir(kuro) if not name.startswith("_")}
    # Subpackages imported somewhere in the test session appear as attributes too.
    public -= {name for name in public if isinstance(getattr(kuro, name), types.ModuleType)} & {
        "cli",
        "client",
        "core",
        "server",
        "dashboard",
        "queue",
        "integrations",
    }
    assert set(kuro.__all__) - {"__version__"} == public
    for name in kuro.__all__:
        assert hasattr(kuro, name)


def test_client_import_does_not_load_django():
    """Training code imports kuro without Django, Dash or the server."""
    code = (
        "import sys, kuro; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'dash', 'ninja', "
        "'optuna') or m.startswith('kuro.server')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
