"""The on-disk write-ahead spool: every request the client means to send, in order.

A spool directory (``KURO_SPOOL_DIR``, default ``~/.kuro/spool``) holds one *session*
directory per client process::

    <spool>/<session>/          session = <UTC time>-<pid>-<random>, so names sort by age
        meta.json               server, mode and worker of the session
        lock                    flock-ed by the live process: ``kuro sync`` leaves it alone
        refs.json               local trial/experiment references resolved to server ids
        000000000001.op ...     one request each: a JSON header line, then the JSON body
        failed/                 requests the server refused (4xx), kept for inspection

Every batch is written here before it is sent and removed once the server has answered,
so batches survive a crash of the process or of the server and are replayed in order.
Files are written to a temporary name and renamed, so a reader never sees half a file.

A ``Spool`` is numbered by one thread at a time (the client's packer holds a lock);
``write``, ``remove`` and ``read`` may be called from the sending thread concurrently.

A disk that refuses a write (full, read-only, over quota) raises ``OSError`` from
``append``, leaving no partial file; the request has its ``seq`` all the same, so the
client can keep it in memory and ``write`` it later in its place. A reference that cannot
be recorded on disk is still kept in memory (``define``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kuro.client._config import spool_root

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: sessions are not locked
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCAL_PREFIX", "Key", "Op", "Spool", "is_local", "local_ref", "path_to"]

LOCAL_PREFIX = "local:"

Key = int | str
"""How the client names an experiment or a trial: the server's id, or, for one made while
the server could not be reached, a local reference (``local:trial-<hex>``) that the spool
resolves once the request creating it is delivered (``Spool.resolve``)."""


def is_local(key: Key) -> bool:
    """Whether ``key`` is a local reference rather than a server id."""
    return isinstance(key, str)


def local_ref(kind: str) -> str:
    """A reference to an experiment or trial the server has not numbered yet."""
    return f"{LOCAL_PREFIX}{kind}-{uuid.uuid4().hex}"


def path_to(template: str, key: Key) -> str:
    """``template`` (e.g. ``/trials/{}/end``) for a server id, or with a placeholder for a
    local reference, filled in when the request is delivered."""
    return template.format(f"{{{key}}}" if is_local(key) else key)


@dataclass
class Op:
    """One request of the log. ``path`` may hold ``{local:...}`` placeholders and a points
    body may name trials by local reference (``refs``); ``defines`` is the local reference
    the answer gives an id to."""

    kind: str
    method: str
    path: str
    body: bytes
    refs: bool = False
    defines: str | None = None
    n_points: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    def header(self) -> dict[str, Any]:
        """What the spool file says of the request before its body."""
        return {
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "refs": self.refs,
            "defines": self.defines,
            "n_points": self.n_points,
            "extra": self.extra,
        }

    def encode(self) -> bytes:
        return json.dumps(self.header(), separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, data: bytes, seq: int) -> Op:
        head, _, body = data.partition(b"\n")
        return cls(body=body, seq=seq, **json.loads(head))


class Spool:
    """One session of the spool; nothing touches the disk before the first ``append``."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        session: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.root = spool_root(root)
        if session is None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            session = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.session = session
        self.path = self.root / session
        self.meta = meta or {}
        self._lock_fd: int | None = None
        self._refs: dict[str, int] | None = None
        self._next_seq: int | None = None
        self._opened = False
        self._open_lock = threading.Lock()

    # Sessions ----------------------------------------------------------------------------

    @classmethod
    def sessions(cls, root: Path | None = None) -> list[Spool]:
        """Every session under ``root``, oldest first."""
        root = spool_root(root)
        if not root.is_dir():
            return []
        return [cls(root, session=p.name) for p in sorted(root.iterdir()) if p.is_dir()]

    @classmethod
    def dead_sessions(cls, root: Path | None, *, worker: str, server: str) -> list[str]:
        """The sessions under ``root`` that ``worker`` recorded for ``server`` and whose
        process is gone (their lock is free): a crash on this machine, newest first."""
        dead = []
        for spool in reversed(cls.sessions(root)):
            meta = spool.read_meta()
            if meta.get("worker") != worker or meta.get("server") != server:
                continue
            if spool.lock():
                spool.unlock()
                dead.append(spool.session)
        return dead

    def lock(self) -> bool:
        """Take the session's lock; False when a live process holds it."""
        if self._lock_fd is not None:
            return True
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def read_meta(self) -> dict[str, Any]:
        try:
            meta: dict[str, Any] = json.loads((self.path / "meta.json").read_text())
            return meta
        except (OSError, ValueError):
            return {}

    def _open(self) -> None:
        if self._opened:
            return
        with self._open_lock:
            if self._opened:
                return
            if not self.lock():
                raise RuntimeError(f"spool session {self.path} is in use by another process")
            meta = self.path / "meta.json"
            if self.meta and not meta.exists():
                self._write(meta, json.dumps(self.meta).encode())
            self._opened = True

    # Requests ----------------------------------------------------------------------------

    def number(self, op: Op) -> Op:
        """Give ``op`` the next sequence number of the session (no disk write)."""
        if self._next_seq is None:
            seqs = self.pending()
            self._next_seq = (seqs[-1] + 1) if seqs else 1
        op.seq = self._next_seq
        self._next_seq += 1
        return op

    def append(self, op: Op) -> Op:
        """Number ``op`` as the next request of the session and write it. ``OSError`` when
        the disk refuses it: ``op`` keeps its number, for a later ``write``."""
        self.number(op)
        self.write(op)
        return op

    def write(self, op: Op) -> None:
        """Write the numbered ``op`` in its place in the session (``OSError`` if the disk
        refuses it)."""
        self._open()
        self._write(self.path / f"{op.seq:012d}.op", op.encode())

    def pending(self) -> list[int]:
        """Sequence numbers of the requests not yet delivered, in order."""
        if not self.path.is_dir():
            return []
        return sorted(int(p.name[:-3]) for p in self.path.glob("*.op"))

    def read(self, seq: int) -> Op:
        return Op.decode((self.path / f"{seq:012d}.op").read_bytes(), seq)

    def header(self, seq: int) -> dict[str, Any]:
        """The header alone (for counting what a session holds without reading bodies)."""
        with (self.path / f"{seq:012d}.op").open("rb") as f:
            header: dict[str, Any] = json.loads(f.readline())
            return header

    def remove(self, seq: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / f"{seq:012d}.op").unlink()

    def fail(self, seq: int, error: dict[str, Any], op: Op | None = None) -> Path:
        """Move a request the server refused to ``failed/``, with the server's answer;
        ``op`` is written there when it was only in memory."""
        failed = self.path / "failed"
        target = failed / f"{seq:012d}.op"
        with contextlib.suppress(OSError):  # a full disk: the refusal is logged all the same
            failed.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(self.path / f"{seq:012d}.op", target)
            except FileNotFoundError:
                if op is not None:
                    self._write(target, op.encode())
            self._write(failed / f"{seq:012d}.error.json", json.dumps(error).encode())
        return target

    def failed(self) -> list[Path]:
        return sorted((self.path / "failed").glob("*.op"))

    # References --------------------------------------------------------------------------

    @property
    def refs(self) -> dict[str, int]:
        if self._refs is None:
            try:
                self._refs = json.loads((self.path / "refs.json").read_text())
            except (OSError, ValueError):
                self._refs = {}
        return self._refs

    def resolve(self, key: Key) -> int | None:
        """The server id ``key`` stands for; None for a local reference not yet delivered."""
        return self.refs.get(key) if isinstance(key, str) else key

    def define(self, ref: str, ident: int) -> None:
        """Record the server id of a local reference (before the next request needs it)."""
        self.refs[ref] = ident
        # A disk that refuses it costs only durability: the reference stays in memory.
        with contextlib.suppress(OSError):
            self.path.mkdir(parents=True, exist_ok=True)
            self._write(self.path / "refs.json", json.dumps(self.refs).encode())

    # Life cycle --------------------------------------------------------------------------

    def empty(self) -> bool:
        return not self.pending() and not self.failed()

    def close(self) -> None:
        """Release the session; an empty session's directory is removed."""
        if self.path.is_dir() and self.empty():
            shutil.rmtree(self.path, ignore_errors=True)
        self.unlock()

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        tmp = target.with_name(target.name + ".tmp")
        try:
            with tmp.open("wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a half-written file must not hold the space a retry needs
            raise
