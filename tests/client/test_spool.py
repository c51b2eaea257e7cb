"""The on-disk spool: requests in order, atomic files, one live owner per session."""

from __future__ import annotations

import json

from kuro.client._spool import Op, Spool, path_to


def _op(n: int) -> Op:
    return Op("points", "POST", "/points", json.dumps({"n": n}).encode(), n_points=n)


def test_requests_come_back_in_order(spool_dir):
    """Appended requests are pending in order and read back intact."""
    spool = Spool(spool_dir)
    for n in (3, 1, 2):
        spool.append(_op(n))
    assert spool.pending() == [1, 2, 3]
    assert [json.loads(spool.read(s).body)["n"] for s in spool.pending()] == [3, 1, 2]
    assert spool.header(1)["n_points"] == 3


def test_nothing_touches_the_disk_before_the_first_append(spool_dir):
    """Making a spool creates no directory."""
    Spool(spool_dir)
    assert not spool_dir.exists()


def test_a_reopened_session_continues_its_numbering(spool_dir):
    """A session read again (by ``kuro sync``) appends after what it holds."""
    first = Spool(spool_dir)
    first.append(_op(1))
    first.unlock()
    again = Spool(spool_dir, session=first.session)
    assert again.append(_op(2)).seq == 2


def test_a_live_session_is_locked_for_others(spool_dir):
    """A second owner cannot take a session a live process holds."""
    owner = Spool(spool_dir)
    owner.append(_op(1))
    [other] = Spool.sessions(spool_dir)
    assert not other.lock()
    owner.unlock()
    assert other.lock()


def test_sessions_are_listed_oldest_first(spool_dir):
    """Session names sort by creation time."""
    names = ["20260101T000000-1-a", "20250101T000000-2-b"]
    for name in names:
        Spool(spool_dir, session=name).append(_op(1))
    assert [s.session for s in Spool.sessions(spool_dir)] == sorted(names)


def test_close_removes_an_empty_session_and_keeps_a_full_one(spool_dir):
    """A delivered session leaves nothing behind; an undelivered one stays."""
    empty, full = Spool(spool_dir), Spool(spool_dir, session="kept")
    empty.append(_op(1))
    full.append(_op(1))
    empty.remove(1)
    empty.close()
    full.close()
    assert [p.name for p in spool_dir.iterdir()] == ["kept"]


def test_local_references_persist(spool_dir):
    """Ids given to local references survive a reopening of the session."""
    spool = Spool(spool_dir)
    spool.define("local:trial-1", 42)
    assert Spool(spool_dir, session=spool.session).refs == {"local:trial-1": 42}


def test_refused_requests_are_kept_with_the_answer(spool_dir):
    """A request the server refused moves to failed/ beside the server's answer."""
    spool = Spool(spool_dir)
    spool.append(_op(1))
    spool.fail(1, {"error": "not_found"})
    assert spool.pending() == [] and [p.name for p in spool.failed()] == ["000000000001.op"]
    assert json.loads((spool.path / "failed" / "000000000001.error.json").read_text()) == {
        "error": "not_found"
    }
    spool.close()
    assert spool.path.exists()


def test_paths_name_ids_or_placeholders():
    """A server id goes into the path; a local reference becomes a placeholder."""
    assert path_to("/trials/{}/end", 7) == "/trials/7/end"
    assert path_to("/trials/{}/end", "local:trial-x") == "/trials/{local:trial-x}/end"
