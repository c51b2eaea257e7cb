"""Metric values in Dash stores: one mechanism for every page.

Selectors answer floats (NaN as ``math.nan``, infinities as floats). A ``dcc.Store`` holds
JSON, and Dash's encoder writes NaN and ±infinity as ``null``: a diverged loss of
``-inf`` would come back as no value. So a page writes the named value fields of what it
stores as wire values (``kuro.core.values``: ``"NaN"``, ``"Infinity"``, ``"-Infinity"``)
and reads them back as floats. ``None`` (no value at all) stays ``None``. Hyper-parameters
and sampled parameters are user data, never rewritten.

>>> stored = to_store({"best": float("-inf"), "hyper_parameters": {"best": 1.0}}, {"best"})
>>> stored
{'best': '-Infinity', 'hyper_parameters': {'best': 1.0}}
>>> from_store(stored, {"best"})["best"]
-inf
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from kuro.core.values import decode_value, encode_value

__all__ = ["OPAQUE", "from_store", "to_store"]

OPAQUE = frozenset({"hyper_parameters", "params", "extra"})
"""Keys whose values are user data: left as they are."""


def _map(data: Any, fields: Collection[str], how: Callable[[Any], Any]) -> Any:
    def value(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, list):
            mapped = [None if x is None else how(x) for x in v]
            return v if all(a is b for a, b in zip(mapped, v, strict=True)) else mapped
        return how(v)

    # A group's store holds about a hundred thousand values, nearly all finite floats that
    # read and write as themselves: containers are copied only where a value changes (a
    # copy of every one cost more, in allocation and garbage collection, than the page's
    # statistics).
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[Any, Any] | None = None
            for k, v in node.items():
                if k in OPAQUE:
                    continue
                if k in fields:
                    new = value(v)
                elif isinstance(v, (dict, list)):
                    new = walk(v)
                else:
                    continue
                if new is not v:
                    if out is None:
                        out = dict(node)
                    out[k] = new
            return node if out is None else out
        if isinstance(node, list):
            mapped = [walk(v) if isinstance(v, (dict, list)) else v for v in node]
            return node if all(a is b for a, b in zip(mapped, node, strict=True)) else mapped
        return node

    return walk(data)


def to_store(data: Any, fields: Collection[str]) -> Any:
    """``data`` with every value under a key in ``fields`` (a float, or a list of floats)
    as a wire value, at any depth. Dicts and lists with nothing to rewrite are shared with
    ``data``, not copied: treat both as read-only."""
    return _map(data, fields, encode_value)


def from_store(data: Any, fields: Collection[str]) -> Any:
    """``data`` read back from a store: the ``fields`` as floats again (shared with
    ``data`` where nothing changes, as ``to_store``)."""
    return _map(data, fields, decode_value)
