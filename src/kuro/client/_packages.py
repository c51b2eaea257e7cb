"""The installed-package list sent once: after the server confirmed it holds a set, a run
context names the set by its hash alone.

A sweep of a thousand trials in one process would otherwise upload the same list a
thousand times. ``PackageSets`` remembers, per transport (one server), the hashes the server
answered back with a context; ``send_context`` leaves the list out for those, and sends the
whole context again when the server says it does not hold the set (404 naming
``packages_hash``: its database was reset, or it is another server). A server older than
hash-only contexts refuses a context without its list (422 naming ``packages_hash``): it
gets the whole list from then on. The spool always keeps the whole context, so nothing
depends on what this process remembers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kuro.core.errors import InvalidInput, KuroError, NotFound

__all__ = ["PackageSets", "send_context", "without_packages"]

T = TypeVar("T")


def without_packages(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` naming its package set by ``packages_hash`` alone."""
    return {name: value for name, value in context.items() if name != "packages"}


class PackageSets:
    """The package sets one server is known to hold, by hash. Safe to use from several
    threads (the training thread acquires trials, the sender delivers contexts)."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._hash_only = True  # False once the server refused a context without its list
        self._lock = threading.Lock()

    def holds(self, digest: Any) -> bool:
        """Whether the server is known to hold the set ``digest`` names."""
        with self._lock:
            return self._hash_only and isinstance(digest, str) and digest in self._known

    def confirm(self, context: Any) -> None:
        """Note the set of a context the server answered back (None: it kept none)."""
        digest = context.get("packages_hash") if isinstance(context, dict) else None
        if isinstance(digest, str) and context.get("packages"):
            with self._lock:
                self._known.add(digest)

    def refused(self, exc: KuroError, digest: Any) -> bool:
        """Whether ``exc``, the answer to a context without its list, is the server saying
        it needs the list (then the set is forgotten, and the list is sent again)."""
        if not isinstance(exc, (NotFound, InvalidInput)):
            return False
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        if detail.get("field") != "packages_hash":
            return False
        with self._lock:
            self._known.discard(digest)
            if isinstance(exc, InvalidInput):
                self._hash_only = False  # a server that reads no hash alone
        return True


def send_context(
    sets: PackageSets,
    context: dict[str, Any],
    send: Callable[[dict[str, Any]], T],
    answered: Callable[[T], Any],
) -> T:
    """``send(context)``, without its package list when the server holds the set, and
    again with it when the server says it does not. ``answered`` picks the context the
    server answered back from ``send``'s result, to learn that the server holds the set."""
    digest = context.get("packages_hash")
    if sets.holds(digest):
        try:
            return send(without_packages(context))
        except KuroError as exc:
            if not sets.refused(exc, digest):
                raise
    result = send(context)
    sets.confirm(answered(result))
    return result
