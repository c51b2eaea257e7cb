"""``kuro sync``: every spooled session replayed in order; sessions in use left alone;
an unreachable server stops it with the rest kept."""

from __future__ import annotations

import pytest

from kuro.client._spool import Spool
from kuro.client._sync import sync
from tests.client.helpers import run_kuro, run_python

pytestmark = pytest.mark.live


def _offline_session(make_worker, server: str, group: str, steps: int = 10):
    worker = make_worker(server, mode="offline")
    with worker.experiment(group, "model", metrics=["loss"]).trial() as trial:
        for step in range(steps):
            trial.report_metric("loss", float(step))
    return worker


def test_nothing_to_upload(spool_dir):
    """An empty spool says so and succeeds."""
    result = run_kuro({}, "sync")
    assert result.returncode == 0 and "nothing to upload" in result.stdout


def test_sessions_in_use_are_left_alone(make_worker, live_kuro, group, spool_dir):
    """A session a running program still holds is skipped, and said to be."""
    worker = _offline_session(make_worker, live_kuro.url, group)
    worker.session.sender.pack()
    report = sync(server=live_kuro.url)
    assert report.busy == [worker.spool_path] and report.requests == 0
    worker.close()
    assert sync(server=live_kuro.url).points == 10


def test_unreachable_server_stops_the_sync_and_keeps_the_rest(make_worker, live_kuro, group):
    """Without a server, sync stops at once, exit status 1, and nothing is lost."""
    _offline_session(make_worker, live_kuro.url, group).close()
    result = run_kuro({}, "sync", "--server", "http://127.0.0.1:9")
    assert result.returncode == 1 and "cannot be reached" in result.stderr
    [session] = Spool.sessions()
    assert len(session.pending()) == 5
    assert sync(server=live_kuro.url).points == 10


def test_refused_requests_are_kept_and_the_rest_goes_on(make_worker, live_kuro, group, api):
    """A request the server refuses is kept in failed/; later requests are still sent."""
    worker = make_worker(live_kuro.url, mode="offline")
    experiment = worker.experiment(group, "model", metrics=["loss"])
    trial = experiment.trial()
    trial.report_metric("loss", 1.0)
    trial.end()
    worker.session.sender.pack()
    # A request naming a trial that does not exist, queued before the others were sent.
    ghost = Spool(session=worker.session.sender.spool.session)
    worker.close()
    ghost.lock()
    from kuro.client._spool import Op

    ghost.append(Op("end", "POST", "/trials/999999999/end", b'{"status": "complete"}'))
    ghost.unlock()
    report = sync(server=live_kuro.url)
    assert len(report.refused) == 1 and report.points == 1
    assert api.trials(group)[0]["status"] == "complete"


def test_progress_is_reported_after_each_request(make_worker, live_kuro, group):
    """The progress callback sees requests and points grow to their totals."""
    _offline_session(make_worker, live_kuro.url, group).close()
    seen = []
    report = sync(server=live_kuro.url, progress=lambda *counts: seen.append(counts))
    assert seen[-1] == (report.requests, report.requests_total, 10, 10)
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1))


def test_client_commands_do_not_import_django(spool_dir):
    """``kuro sync``, ``kuro export`` and ``kuro compare`` work on a client-only install: no
    Django, Dash or numpy loaded (``kuro compare`` names settings by ``kuro.core.labels``,
    which the dashboard shares)."""
    heavy = ("django", "ninja", "dash", "numpy", "scipy")
    code = (
        "import sys; from kuro.cli import main; "
        f"status = main(['sync', '--spool-dir', {str(spool_dir)!r}]); "
        "import kuro.cli.export, kuro.cli.compare, kuro.core.labels; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}); "
        "print(bad); sys.exit(status or (1 if bad else 0))"
    )
    result = run_python(code, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to upload" in result.stdout
