"""Worker registration."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kuro.server.tracking.models import Worker

__all__ = ["worker_register"]


def worker_register(
    *,
    name: str,
    cpu: str = "",
    memory_gib: float | None = None,
    gpus: list[dict[str, Any]] | None = None,
    hostname: str = "",
    platform: str = "",
    python_version: str = "",
) -> Worker:
    """Create the worker, or refresh what it says of itself; marks it active and seen now."""
    worker, _ = Worker.objects.update_or_create(
        name=name,
        defaults={
            "cpu": cpu,
            "memory_gib": memory_gib,
            "gpus": gpus or [],
            "hostname": hostname,
            "platform": platform,
            "python_version": python_version,
            "active": True,
            "last_seen_at": timezone.now(),
        },
    )
    return worker


def worker_get_or_create(*, name: str) -> Worker:
    """The worker by name, created bare when it never registered (a trial names it)."""
    worker, _ = Worker.objects.get_or_create(name=name)
    return worker
