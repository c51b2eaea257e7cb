"""Kuro: experiment management for machine-learning research."""

from kuro._errors import (
    AuthError,
    Conflict,
    Forbidden,
    InvalidInput,
    KuroError,
    ModeConflict,
    ModeRequired,
    NotFound,
    PayloadTooLarge,
    ServerError,
    TransportError,
)
from kuro._version import __version__

__all__ = [
    "AuthError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "KuroError",
    "ModeConflict",
    "ModeRequired",
    "NotFound",
    "PayloadTooLarge",
    "ServerError",
    "TransportError",
    "__version__",
]
