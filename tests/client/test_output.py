"""A worker keeps its process's console output with its trials, opt-in: the user still sees
it (a tee), it goes through the spool (a server outage loses none of it), and the real
streams come back at close."""

from __future__ import annotations

import doctest
import sys

import httpx
import pytest

from kuro.client import _output
from kuro.client._output import PIECE_MAX, OutputBuffer, Tee, capture_output_enabled
from kuro.core.errors import InvalidInput


def _output_of(server_url: str, trial_id: int) -> str:
    answer = httpx.get(f"{server_url}/api/v1/trials/{trial_id}/output", timeout=30)
    answer.raise_for_status()
    return answer.json()["text"]


@pytest.mark.live
def test_output_is_kept_through_a_server_outage(fresh_kuro, make_worker, group, capsys):
    """Printed while the server is down, the output is spooled and delivered once it is
    back; the user saw every line as it was printed."""
    worker = make_worker(fresh_kuro.url, capture_output=True, flush_timeout=60)
    trial = worker.experiment(group, "printing", metrics=["loss"]).trial()
    print("before the outage")
    assert worker.flush(30)
    fresh_kuro.stop()
    for epoch in range(200):
        print(f"epoch {epoch} loss {1 / (epoch + 1):.4f}")
        trial.report_metric("loss", 1 / (epoch + 1))
    print("a warning", file=sys.stderr)
    trial.end()
    assert not worker.flush(2)  # the server is away: all of it waits in the spool
    fresh_kuro.start()
    assert worker.flush(60)
    worker.close()
    seen = capsys.readouterr()
    expected = "before the outage\n" + "".join(
        f"epoch {e} loss {1 / (e + 1):.4f}\n" for e in range(200)
    )
    assert seen.out == expected and seen.err.endswith("a warning\n")
    assert _output_of(fresh_kuro.url, trial.id) == expected + "a warning\n"


@pytest.mark.live
def test_output_is_off_by_default(make_worker, live_kuro, group, monkeypatch):
    """Without ``capture_output`` (or ``KURO_CAPTURE_OUTPUT=1``) nothing is kept and the
    streams are the real ones."""
    monkeypatch.delenv("KURO_CAPTURE_OUTPUT", raising=False)
    stdout = sys.stdout
    worker = make_worker(live_kuro.url)
    assert sys.stdout is stdout
    with worker.experiment(group, "quiet").trial() as trial:
        print("not kept")
    assert worker.flush()
    assert _output_of(live_kuro.url, trial.id) == ""


def test_streams_are_restored_at_close(make_worker, fake, testing):
    """The tee stands in for stdout and stderr while the worker lives, never after."""
    stdout, stderr = sys.stdout, sys.stderr
    worker = make_worker("http://kuro.test", transport=fake.transport(), capture_output=True)
    assert isinstance(sys.stdout, Tee) and isinstance(sys.stderr, Tee)
    assert sys.stdout.encoding == stdout.encoding  # everything else is the real stream's
    worker.close()
    assert sys.stdout is stdout and sys.stderr is stderr


def test_a_tee_wrapped_by_someone_else_only_stops_copying(capsys):
    """When another library wrapped the tee in turn, closing leaves its wrapper in place and
    the tee passes writes through without keeping them."""
    buffer = OutputBuffer()
    streams = sys.stdout, sys.stderr
    [tee, _] = Tee.install(buffer)
    try:
        wrapper = Tee(sys.stdout, OutputBuffer())  # someone else's wrapper over ours
        sys.stdout = wrapper
        Tee.uninstall([tee])
        assert sys.stdout is wrapper
        print("after close")
        assert not buffer
    finally:
        sys.stdout, sys.stderr = streams
    assert "after close" in capsys.readouterr().out


def test_a_failing_write_is_not_kept():
    """A write the real stream refuses raises as before and keeps nothing."""

    class Closed:
        def write(self, text):
            raise ValueError("I/O operation on closed file")

    buffer = OutputBuffer()
    tee = Tee(Closed(), buffer)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tee.write("lost")
    assert not buffer


def test_pieces_are_cut_and_counted_per_trial():
    """Long output becomes pieces of at most ``PIECE_MAX`` characters; each trial's
    offsets run on from what it was sent before."""
    buffer = OutputBuffer(session="s")
    buffer.write("x" * (PIECE_MAX + 10))
    first = buffer.pieces(1, 2)
    assert [(len(p["text"]), p["offset"]) for p in first] == [(PIECE_MAX, 0), (10, PIECE_MAX)] * 2
    buffer.write("y")
    assert [p["offset"] for p in buffer.pieces(1)] == [PIECE_MAX + 10]


def test_past_the_limit_only_the_tail_is_held():
    """With a limit of 10: the first 10 characters go as they come; of the rest only the
    last 5 are held, sent by ``held`` at their true offset."""
    buffer = OutputBuffer(session="s", limit=10)
    buffer.write("0123456")
    buffer.write("789abcdefghij")
    buffer.write("klmno")
    sent = buffer.pieces(1) + buffer.pieces(1)  # the second finds nothing new
    assert [(p["offset"], p["text"]) for p in sent] == [(0, "0123456789")]
    buffer.write("pq")
    assert buffer.pieces(1) == []
    assert [(p["offset"], p["text"]) for p in buffer.held(1)] == [(22, "mnopq")]
    assert buffer.held(1) == []


def test_text_the_server_cannot_store_is_replaced():
    """NUL characters and lone surrogates (bytes decoded with surrogateescape) are replaced."""
    buffer = OutputBuffer()
    buffer.write("a\x00b \udcff")
    [piece] = buffer.pieces(1)
    assert piece["text"] == "a\ufffdb ?"


@pytest.mark.parametrize(("text", "on"), [("1", True), ("on", True), ("0", False), ("", False)])
def test_the_environment_turns_it_on(monkeypatch, text, on):
    monkeypatch.setenv("KURO_CAPTURE_OUTPUT", text)
    assert capture_output_enabled() is on
    assert capture_output_enabled(True) is True


def test_a_bad_environment_value_names_it(monkeypatch):
    monkeypatch.setenv("KURO_CAPTURE_OUTPUT", "maybe")
    with pytest.raises(InvalidInput) as caught:
        capture_output_enabled()
    assert caught.value.detail["field"] == "KURO_CAPTURE_OUTPUT"


def test_docstring_examples():
    result = doctest.testmod(_output)
    assert result.attempted and not result.failed
