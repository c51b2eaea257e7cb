"""Tags and notes of experiments and trials, from training code.

``trial.tags.add("baseline")``, ``trial.tags.remove(...)``, ``trial.note = "..."`` (and
the same on an experiment) check their input at once (``kuro.InvalidInput``) and then only
queue a request (``POST /trials/{id}/annotations``): the worker's background sender
delivers it in order with the points, through the spool, so neither a slow nor a dead
server holds training up or loses it (``kuro sync`` uploads what a process left).

``trial.tags`` is what this process knows: the tags the server held when first read (one
short request, skipped while the server is unreachable) with this process's own changes
applied in order on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kuro.client._spool import Key
from kuro.core.errors import KuroError
from kuro.core.limits import check_note, check_tag

if TYPE_CHECKING:
    from kuro.client._session import Session

__all__ = ["Annotations", "Tags", "annotation_body"]


def annotation_body(
    add: Iterable[str] = (), remove: Iterable[str] = (), note: str | None = None
) -> dict[str, Any]:
    """The body of ``POST .../annotations``, each tag and the note checked first
    (``kuro.InvalidInput`` naming the field). A single tag may be given as a string."""
    add = [add] if isinstance(add, str) else add
    remove = [remove] if isinstance(remove, str) else remove
    body: dict[str, Any] = {
        "add": [check_tag(t, f"add[{i}]") for i, t in enumerate(add)],
        "remove": [check_tag(t, f"remove[{i}]") for i, t in enumerate(remove)],
    }
    if note is not None:
        body["note"] = check_note(note)
    return body


class Annotations:
    """The tags and note of one experiment or trial (``kind``), named by ``key`` (a server
    id, or a local reference resolved on delivery). Used from the training thread."""

    def __init__(self, session: Session, kind: str, key: Key) -> None:
        self._session = session
        self._path = f"/{kind}s/{{}}/annotations"
        self._key = key
        self._server: dict[str, Any] | None = None  # as first read from the server
        self._changes: dict[str, bool] = {}  # tag -> added (True) or removed (False)
        self._note: str | None = None  # set by this process
        self.tags = Tags(self)

    def send(self, body: dict[str, Any]) -> None:
        """Queue the change: delivered in order, through the spool."""
        self._session.request("annotations", self._path, body, key=self._key)

    def _read(self) -> dict[str, Any]:
        """The server's tags and note, read once; empty while it cannot be asked."""
        if self._server is None:
            ident = self._session.resolve(self._key)
            if ident is None or not self._session.reachable:
                return {"tags": [], "note": ""}
            try:
                answer = self._session.call("GET", self._path.format(ident), once=True)
            except KuroError:
                return {"tags": [], "note": ""}
            self._server = answer
        return self._server

    def change_tags(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        body = annotation_body(add, remove)
        if not body["add"] and not body["remove"]:
            return
        self.send(body)
        for name in body["remove"]:
            self._changes[name] = False
        for name in body["add"]:
            self._changes[name] = True

    def tag_names(self) -> list[str]:
        have = set(self._read()["tags"])
        for name, added in self._changes.items():
            (have.add if added else have.discard)(name)
        return sorted(have)

    @property
    def note(self) -> str:
        if self._note is not None:
            return self._note
        text: str = self._read()["note"]
        return text

    @note.setter
    def note(self, text: str) -> None:
        body = annotation_body(note=text)
        self.send(body)
        self._note = text


class Tags:
    """The tags of an experiment or a trial: iterable (sorted), ``in``, ``len``; ``add``
    and ``remove`` never wait on the network. Adding a tag it has, or removing one it
    lacks, changes nothing."""

    def __init__(self, owner: Annotations) -> None:
        self._owner = owner

    def add(self, *tags: str) -> None:
        """Add ``tags`` (each 1 to 64 characters, no whitespace or comma)."""
        self._owner.change_tags(add=tags)

    def remove(self, *tags: str) -> None:
        """Remove ``tags``."""
        self._owner.change_tags(remove=tags)

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner.tag_names())

    def __contains__(self, tag: object) -> bool:
        return tag in self._owner.tag_names()

    def __len__(self) -> int:
        return len(self._owner.tag_names())

    def __repr__(self) -> str:
        return f"<Tags {self._owner.tag_names()!r}>"
