"""Kuro: experiment management for machine-learning research."""

from kuro._version import __version__
from kuro.client import Api, Experiment, Trial, Worker
from kuro.core.errors import (
    AuthError,
    Conflict,
    Forbidden,
    InvalidInput,
    KuroError,
    LeaseLost,
    ModeConflict,
    ModeRequired,
    NotFound,
    PayloadTooLarge,
    ServerBusy,
    ServerError,
    TransportError,
)

__all__ = [
    "Api",
    "AuthError",
    "Conflict",
    "Experiment",
    "Forbidden",
    "InvalidInput",
    "KuroError",
    "LeaseLost",
    "ModeConflict",
    "ModeRequired",
    "NotFound",
    "PayloadTooLarge",
    "ServerBusy",
    "ServerError",
    "TransportError",
    "Trial",
    "Worker",
    "__version__",
]
