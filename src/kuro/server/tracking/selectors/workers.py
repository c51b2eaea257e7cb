"""Reads of workers."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from kuro.core.errors import NotFound
from kuro.server.tracking.models import Trial, Worker
from kuro.server.tracking.selectors.moments import iso

__all__ = ["worker_detail", "worker_list"]


def _worker_dict(worker: Worker) -> dict[str, Any]:
    return {
        "name": worker.name,
        "created_at": iso(worker.created_at),
        "last_seen_at": iso(worker.last_seen_at),
        "cpu": worker.cpu,
        "memory_gib": worker.memory_gib,
        "gpus": worker.gpus,
        "hostname": worker.hostname,
        "platform": worker.platform,
        "python_version": worker.python_version,
        "active": worker.active,
        "n_running": getattr(worker, "n_running", None),
    }


def _annotated():
    return Worker.objects.annotate(
        n_running=Count("trials", filter=Q(trials__status=Trial.Status.RUNNING))
    )


def worker_list() -> list[dict[str, Any]]:
    """Every worker with its resources and count of running trials."""
    return [_worker_dict(w) for w in _annotated().order_by("name")]


def worker_detail(*, name: str) -> dict[str, Any]:
    worker = _annotated().filter(name=name).first()
    if worker is None:
        raise NotFound(f"worker {name!r} does not exist", detail={"field": "name"})
    return _worker_dict(worker)
