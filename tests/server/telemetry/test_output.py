"""A trial's console output: pieces stored in order, a resend stored once, the head and the
tail kept past the allowance with the cut marked, read as JSON, filtered, and as a .txt."""

from __future__ import annotations

import pytest
from django.test import Client

from kuro.server.telemetry.selectors import output_text

pytestmark = pytest.mark.django_db


def _piece(offset, text, session="s1"):
    return {"session": session, "offset": offset, "text": text, "time": 1.7e9}


def test_pieces_join_in_order(api, trial):
    """Two pieces of one session read back as one text."""
    for body in (_piece(0, "epoch 1\n"), _piece(8, "epoch 2\n")):
        status, answer = api.post(f"/trials/{trial['id']}/output", body)
        assert status == 200, answer
    assert answer == {"trial_id": trial["id"], "chars": 16, "cut_chars": 0}
    status, out = api.get(f"/trials/{trial['id']}/output")
    assert status == 200 and out["text"] == "epoch 1\nepoch 2\n" and out["matches"] is None


def test_a_resent_piece_is_stored_once(api, trial):
    """The same piece sent twice (its answer lost), and one overlapping what was received,
    add only what is new."""
    api.post(f"/trials/{trial['id']}/output", _piece(0, "abc"))
    api.post(f"/trials/{trial['id']}/output", _piece(0, "abc"))
    api.post(f"/trials/{trial['id']}/output", _piece(1, "bcdef"))
    assert output_text(trial_id=trial["id"]) == "abcdef"


def test_sessions_are_counted_apart(api, trial):
    """Two processes writing to one trial (a resumed trial) each start at offset 0."""
    api.post(f"/trials/{trial['id']}/output", _piece(0, "first\n", session="a"))
    api.post(f"/trials/{trial['id']}/output", _piece(0, "second\n", session="b"))
    assert output_text(trial_id=trial["id"]) == "first\nsecond\n"


def test_past_the_allowance_head_and_tail_are_kept(api, trial, settings):
    """With 20 characters allowed: the first 10 stay, the last 10 roll, the cut is marked
    and counted."""
    settings.KURO_OUTPUT_MAX_CHARS = 20
    text = "".join(f"{i:02d}" for i in range(50))  # 100 characters
    offset = 0
    for size in (3, 4, 25, 1, 60, 7):
        piece = text[offset : offset + size]
        status, answer = api.post(f"/trials/{trial['id']}/output", _piece(offset, piece))
        assert status == 200, answer
        offset += size
    assert offset == 100
    assert answer == {"trial_id": trial["id"], "chars": 20, "cut_chars": 80}
    kept = output_text(trial_id=trial["id"])
    head, _, tail = kept.partition("\n[kuro: 80 characters of output were cut here")
    assert head == text[:10] and tail.endswith("]\n" + text[-10:])
    assert "the first 10 and the last 10 are kept" in tail


def test_one_piece_larger_than_the_allowance(api, trial, settings):
    """A single piece over the allowance is cut at once, the middle dropped."""
    settings.KURO_OUTPUT_MAX_CHARS = 10
    api.post(f"/trials/{trial['id']}/output", _piece(0, "A" * 5 + "x" * 100 + "Z" * 5))
    kept = output_text(trial_id=trial["id"])
    assert kept.startswith("AAAAA\n[kuro: 100 characters") and kept.endswith("]\nZZZZZ")


def test_a_resend_after_the_cut_adds_nothing(api, trial, settings):
    """A piece whose tail was already cut away is recognized when sent again."""
    settings.KURO_OUTPUT_MAX_CHARS = 4
    for offset, piece in ((0, "ab"), (2, "cd"), (4, "ef"), (6, "gh")):
        api.post(f"/trials/{trial['id']}/output", _piece(offset, piece))
    before = output_text(trial_id=trial["id"])
    api.post(f"/trials/{trial['id']}/output", _piece(2, "cd"))
    assert output_text(trial_id=trial["id"]) == before
    assert before.startswith("ab\n") and before.endswith("gh")


def test_search_keeps_the_matching_lines(api, trial):
    """``search`` answers the lines holding it, whatever their case, and counts them."""
    text = "loss 0.5\nWARNING: nan\nloss 0.4\nwarning: slow\n"
    api.post(f"/trials/{trial['id']}/output", _piece(0, text))
    status, out = api.get(f"/trials/{trial['id']}/output", search="warning")
    assert status == 200
    assert out["text"] == "WARNING: nan\nwarning: slow" and out["matches"] == 2


def test_download_is_a_text_file(api, trial):
    """``output.txt`` is the kept output as a UTF-8 attachment."""
    api.post(f"/trials/{trial['id']}/output", _piece(0, "héllo\n"))
    response = Client().get(f"/api/v1/trials/{trial['id']}/output.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="trial-{trial["id"]}-output.txt"' in response["Content-Disposition"]
    assert response.content.decode("utf-8") == "héllo\n"


def test_a_trial_without_output_reads_empty(api, trial):
    status, out = api.get(f"/trials/{trial['id']}/output")
    assert status == 200 and out == {"chars": 0, "cut_chars": 0, "text": "", "matches": None}


def test_characters_never_sent_are_counted_as_cut(api, trial, settings):
    """A piece starting past what was received (an agent held the middle back) counts the
    skipped characters in the cut, and the marker says so."""
    settings.KURO_OUTPUT_MAX_CHARS = 4
    api.post(f"/trials/{trial['id']}/output", _piece(0, "abcd"))
    status, answer = api.post(f"/trials/{trial['id']}/output", _piece(10, "wxyz"))
    assert status == 200 and answer["cut_chars"] == 10, answer
    kept = output_text(trial_id=trial["id"])
    assert kept.startswith("ab\n[kuro: 10 characters of output were cut here") and kept.endswith(
        "]\nyz"
    )
