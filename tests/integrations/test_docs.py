"""Each integration's page in docs/integrations runs as written, against a real server,
so its example cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integrations.conftest import points

pytestmark = [
    pytest.mark.live,
    # Third-party warnings the framework tests silence too (see each test module).
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec.* is deprecated:FutureWarning"),
    pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    ),
]

PAGES = Path(__file__).resolve().parents[2] / "docs" / "integrations"
FRAMEWORKS = ["lightning", "transformers", "keras", "xgboost", "lightgbm", "sklearn", "optuna"]


def test_every_integration_has_its_page():
    """One page per integration module, each linked from the index."""
    modules = Path(__file__).resolve().parents[2] / "src" / "kuro" / "integrations"
    assert sorted(p.stem for p in modules.glob("[!_]*.py")) == sorted(FRAMEWORKS)
    index = (PAGES / "index.md").read_text()
    for name in FRAMEWORKS:
        assert (PAGES / f"{name}.md").exists()
        assert f"({name}.md)" in index


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_the_example_runs_and_records_ended_trials(name, live_kuro, api, monkeypatch, tmp_path):
    """The page's example, run as a script would, leaves ended trials with points."""
    text = (PAGES / f"{name}.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (group,) = set(re.findall(r'group="([^"]+)"', code))
    monkeypatch.setenv("KURO_SERVER", live_kuro.url)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"docs/integrations/{name}.md", "exec"), {"__name__": "__main__"})
    trials = api.trials(group)
    assert trials and {t["status"] for t in trials} <= {"complete", "pruned", "failed"}
    assert any(points(api, t["id"]) for t in trials)
