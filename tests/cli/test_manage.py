"""From a checkout, ``python manage.py migrate`` works as Django users expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_manage_py_migrate_and_check(tmp_path):
    """migrate creates the SQLite database in KURO_DATA_DIR; check finds no issue."""
    env = {k: v for k, v in os.environ.items() if k != "KURO_DATABASE_URL"}
    env["KURO_DATA_DIR"] = str(tmp_path)
    for command in (["migrate", "--noinput"], ["check", "--deploy", "--fail-level", "ERROR"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "kuro.sqlite3").stat().st_size > 0
    assert not subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    ).returncode, "a model change has no committed migration"
