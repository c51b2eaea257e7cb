"""The OpenAPI schema names each component after its class: two schema classes with one
name would silently make one answer's documented shape the other's."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from ninja import Schema

import kuro.server
from kuro.server.api import api


def _schema_classes() -> dict[str, set[str]]:
    for info in pkgutil.walk_packages(kuro.server.__path__, "kuro.server."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    names: dict[str, set[str]] = defaultdict(set)
    pending = list(Schema.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("kuro."):
            names[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    return names


def test_no_two_schema_classes_share_a_name():
    clashes = {name: where for name, where in _schema_classes().items() if len(where) > 1}
    assert not clashes


def test_every_documented_answer_is_its_own_component():
    """Each answer's component is the class the endpoint declares (e.g. the history's
    ``values`` are a list of numbers, not the system samples' mapping)."""
    components = api.get_openapi_schema()["components"]["schemas"]
    values = components["SeriesOut"]["properties"]["values"]
    assert values["type"] == "array"
    assert "SystemSeriesOut" in components
