"""Reading a spec file for ``kuro queue add`` and ``kuro sweep create``: JSON, or YAML when
PyYAML is installed (``pip install 'kuro[yaml]'``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_spec"]


def read_spec(path: str) -> Any:
    """The spec in ``path`` (``-`` for standard input), by its extension."""
    if path == "-":
        import sys

        text, suffix = sys.stdin.read(), ".json"
    else:
        text, suffix = Path(path).read_text(), Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise SystemExit(
                "kuro: reading YAML needs PyYAML: pip install 'kuro[yaml]' (or give JSON)"
            ) from None
        return yaml.safe_load(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"kuro: {path} is not valid JSON: {exc}") from None
