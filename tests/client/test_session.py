"""The client's shape: public classes named ``kuro.*``, no import cycle among the client's
modules, one worker per process for ``Trial.current()``, identifiers as long as the server
takes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kuro
from kuro.client import _session

CLIENT = Path(kuro.__file__).parent / "client"


def _runtime_imports(path: Path) -> set[str]:
    """The ``kuro.client`` modules ``path`` imports outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kuro.client."):
            found.add(node.module.rsplit(".", 1)[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_public_classes_are_named_kuro():
    """``kuro.Worker``, ``kuro.NotFound`` and the others say so in reprs and tracebacks."""
    for cls in (kuro.Api, kuro.Experiment, kuro.Trial, kuro.Worker, kuro.NotFound):
        assert cls.__module__ == "kuro"
        assert repr(cls) == f"<class 'kuro.{cls.__name__}'>"


def test_client_modules_import_no_cycle():
    """The client's modules form layers: no module imports one that imports it back."""
    graph = {p.stem: _runtime_imports(p) for p in CLIENT.glob("_*.py")}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for name in graph.get(start, ()):
            if name == target or (name not in seen and reaches(name, target, seen | {name})):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []


@pytest.mark.live
def test_trial_current_reuses_one_worker(live_kuro, make_worker, group, monkeypatch):
    """Repeated ``Trial.current()`` calls share the process's one worker."""
    trial = make_worker(live_kuro.url).experiment(group, "m").trial()
    monkeypatch.setenv("KURO_TRIAL_ID", str(trial.id))
    monkeypatch.setenv("KURO_WORKER", "current-w")
    first = kuro.Trial.current(server=live_kuro.url)
    second = kuro.Trial.current(server=live_kuro.url)
    try:
        assert first.id == second.id == trial.id
        assert first.experiment.worker is second.experiment.worker
    finally:
        first.experiment.worker.close()
    third = kuro.Trial.current(server=live_kuro.url)
    assert third.experiment.worker is not first.experiment.worker  # closed: made again
    third.experiment.worker.close()


def test_trial_current_outside_an_agent_is_none(monkeypatch):
    """Without KURO_TRIAL_ID there is no current trial, and no worker is made."""
    monkeypatch.delenv("KURO_TRIAL_ID", raising=False)
    before = dict(_session._workers)
    assert kuro.Trial.current() is None
    assert _session._workers == before


@pytest.mark.live
def test_an_identifier_of_300_characters_is_stored(worker, api, group):
    """The client takes identifiers as long as the server does (500), end to end."""
    identifier = "pkg." + "x" * 296
    with worker.experiment(group, identifier).trial() as trial:
        trial.report_metric("loss", 1.0)
    assert worker.flush()
    assert [e["identifier"] for e in api.experiments(group)] == [identifier]


def test_an_identifier_over_500_characters_is_refused(fake_worker):
    """A 501-character identifier raises InvalidInput naming the field, before any request."""
    with pytest.raises(kuro.InvalidInput) as info:
        fake_worker.experiment("g", "x" * 501)
    assert info.value.field == "identifier"
