"""Ids of All-in-One components' parts: ``{"component", "subcomponent", "aio_id"}``, so one
pattern-matching callback (``MATCH`` on ``aio_id``) serves every instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["part_id"]


def part_id(component: str, subcomponent: str) -> Callable[[Any], dict[str, Any]]:
    """The id maker of one part: ``part_id("FilterGrid", "grid")("compare-trials")``."""

    def make(aio_id: Any) -> dict[str, Any]:
        return {"component": component, "subcomponent": subcomponent, "aio_id": aio_id}

    return make
