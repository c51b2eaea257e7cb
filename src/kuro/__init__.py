"""Kuro: experiment management for machine-learning research."""

from kuro._version import __version__
from kuro.client import Api, Experiment, Trial, Worker
from kuro.core import errors as _errors
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

# The client's classes say they are ``kuro.Worker`` and so on (reprs, docs, tracebacks),
# not the private module that defines them: the habit of httpx's ``__init__``.
for _public in (Api, Experiment, Trial, Worker, *_errors.ERROR_CLASSES):
    _public.__module__ = "kuro"
del _public
