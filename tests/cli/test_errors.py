"""Every ``kuro`` command answers an error as one line, ``kuro <command>: ...``, with exit
status 1, never a traceback; a reader closing the pipe (``| head``) ends it quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kuro
from kuro.cli import main

KURO = str(Path(sys.executable).with_name("kuro"))


def _one_line(capsys, prefix: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_unknown_sweep_is_one_line(live_kuro, capsys):
    """``kuro sweep status 99999``: the server's NotFound, said in one line."""
    assert main(["sweep", "status", "99999", "--server", live_kuro.url]) == 1
    _one_line(capsys, "kuro sweep status: ")


def test_unknown_group_is_one_line(live_kuro, capsys):
    assert main(["export", "no-such-group-anywhere", "--server", live_kuro.url]) == 1
    assert "does not exist" in _one_line(capsys, "kuro export: ")


def test_malformed_server_is_one_line(capsys):
    """A URL without a scheme is refused before any request."""
    assert main(["sweep", "list", "--server", "localhost:8000"]) == 1
    assert "localhost:8000" in _one_line(capsys, "kuro sweep list: ")


def test_unreachable_server_is_one_line(capsys, monkeypatch):
    """A server that cannot be reached is a one-line TransportError."""
    monkeypatch.setattr(kuro.Api, "__init__", _no_retry_api(kuro.Api.__init__))
    assert main(["queue", "status", "--server", "http://127.0.0.1:9"]) == 1
    _one_line(capsys, "kuro queue status: ")


def _no_retry_api(init):
    def patched(self, server=None, **options):
        init(self, server, timeout=1.0, **options)

    return patched


def test_missing_spec_file_is_one_line(tmp_path, capsys):
    """A file that cannot be read is one line too, naming the file."""
    missing = tmp_path / "nope.json"
    assert main(["sweep", "create", str(missing), "--server", "http://127.0.0.1:9"]) == 1
    assert str(missing) in _one_line(capsys, "kuro sweep create: ")


def test_bad_queue_entry_is_one_line(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text('{"group": "g"}')
    assert main(["queue", "add", str(spec), "--server", "http://127.0.0.1:9"]) == 1
    assert "identifier" in _one_line(capsys, "kuro queue add: ")


@pytest.mark.live
def test_export_into_a_closed_pipe_is_quiet(live_kuro, tmp_path):
    """``kuro export GROUP | head``: status 0 and nothing on stderr, as ``head`` expects."""
    group = "pipe-" + tmp_path.name[-8:]
    with kuro.Worker("w", live_kuro.url, spool_dir=tmp_path / "spool") as worker:
        with worker.experiment(group, "m", metrics=["loss"]).trial() as trial:
            for step in range(50_000):
                trial.report_metric("loss", float(step))
        assert worker.flush(60)
    process = subprocess.Popen(
        [KURO, "export", group, "--server", live_kuro.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100)
    process.stdout.close()  # what `head -c 100` does
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(60) == 0 and err == ""


def test_short_output_into_a_closed_pipe_is_quiet(tmp_path):
    """Output still buffered at exit meets the closed pipe quietly too."""
    code = (
        "import sys, kuro.cli\n"
        "sys.argv = ['kuro', 'sweep', 'list', '--server', sys.argv[1]]\n"
        "import kuro.client._api as api\n"
        "api.Api.sweeps = lambda self: [{'id': 1, 'status': 'running', 'n_configs': 1,"
        " 'max_configs': 2, 'sampler': 'tpe', 'group': 'g', 'identifier': 'm', 'name': ''}]\n"
        "sys.exit(kuro.cli.main())\n"
    )
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    with open(write, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-c", code, "http://127.0.0.1:9"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0 and result.stderr == "", result.stderr
