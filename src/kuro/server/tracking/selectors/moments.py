"""Moments as the API and the dashboard show them: ISO-8601 text, or None."""

from __future__ import annotations

from datetime import datetime

__all__ = ["iso"]


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
