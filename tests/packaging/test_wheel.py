"""The wheel as users install it: built once (an sdist, then the wheel from the sdist), then
installed from the package registry into two fresh virtualenvs. ``kuro server`` runs from
the one with the ``server`` extra (migrations, static files, templates and the dashboard
come from the wheel alone); a training program runs from the one with the base install,
which must hold no Django and no Dash, and logs points that the first one serves back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from kuro import __version__
from kuro.server.testing import free_port, scratch_database

# One pytest-xdist worker runs this module, so its module-scoped servers start once.
pytestmark = [pytest.mark.packaging, pytest.mark.xdist_group("test_wheel")]

ROOT = Path(__file__).resolve().parents[2]
# The dashboard's plotly build (package.json, node_modules): its bundle ships, it does not.
BUILD_SOURCES = "assets-src"
# Installing the server extra into an empty virtualenv takes one to two minutes here.
INSTALL_TIMEOUT = 900


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a program run from a fresh virtualenv: nothing of this test's
    own virtualenv or of its Kuro configuration."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KURO_") and key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(extra)
    return env


def _run(command: list[str | Path], *, timeout: float = 300, **kwargs) -> str:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    assert done.returncode == 0, (
        f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def _fresh_venv(path: Path, requirement: str) -> Path:
    """A new virtualenv at ``path`` (no system site-packages) with ``requirement`` installed
    from the package registry; its ``bin`` folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    bin_dir = path / "bin"
    _run(
        # --no-compile: no bytecode for thousands of plotly files; it halves the install.
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-compile", requirement],
        timeout=INSTALL_TIMEOUT,
        env=_clean_env(),
        cwd=path,
    )
    return bin_dir


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of what the build reads, so that the files checked are the files built."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "node_modules"),
    )
    return source


@pytest.fixture(scope="module")
def dist(source: Path, tmp_path_factory) -> Path:
    """``python -m build``: an sdist, and the wheel built from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, source], timeout=INSTALL_TIMEOUT)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("kuro-*.whl")
    return found


@pytest.fixture(scope="module")
def server_bin(wheel: Path, tmp_path_factory) -> Path:
    return _fresh_venv(tmp_path_factory.mktemp("server-venv"), f"kuro[server] @ {wheel.as_uri()}")


@pytest.fixture(scope="module")
def client_bin(wheel: Path, tmp_path_factory) -> Path:
    return _fresh_venv(tmp_path_factory.mktemp("client-venv"), f"kuro @ {wheel.as_uri()}")


class WheelServer:
    """``kuro server`` started from the server virtualenv's own ``kuro`` script."""

    def __init__(self, bin_dir: Path, data_dir: Path, database_url: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra = {"KURO_DATA_DIR": str(data_dir), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        if database_url:
            extra["KURO_DATABASE_URL"] = database_url
        self.env = _clean_env(**extra)
        self.bin_dir = bin_dir
        self.data_dir = data_dir
        self.log = data_dir / "server.log"
        data_dir.mkdir(parents=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [bin_dir / "kuro", "server", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"kuro server did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        # Killed, not stopped: a graceful stop costs seconds and is tested elsewhere
        # (tests/server); nothing is checked after it.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)


@pytest.fixture(scope="module")
def server(server_bin: Path, tmp_path_factory) -> Iterator[WheelServer]:
    base = os.environ.get("KURO_DATABASE_URL")
    database_url, drop = scratch_database(base) if base else (None, lambda: None)
    try:
        served = WheelServer(server_bin, tmp_path_factory.mktemp("served") / "data", database_url)
        try:
            yield served
        finally:
            served.stop()
    finally:
        drop()


def test_wheel_holds_every_file_of_the_package(source: Path, wheel: Path, dist: Path):
    """Every file of the package (code, templates, dashboard assets, migrations, py.typed)
    is in the wheel, and the dashboard's build sources (``assets-src/``) are not."""
    src = source / "src"
    expected = {
        path.relative_to(src).as_posix()
        for path in (src / "kuro").rglob("*")
        if path.is_file() and BUILD_SOURCES not in path.parts
    }
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert expected - in_wheel == set()
    assert [name for name in in_wheel if BUILD_SOURCES in name or "node_modules" in name] == []
    assert {"kuro/py.typed", "kuro/server/tracking/migrations/0001_initial.py"} <= in_wheel
    assert any(name.startswith("kuro/dashboard/assets/") for name in in_wheel)
    (sdist,) = dist.glob("kuro-*.tar.gz")
    assert sdist.name == f"kuro-{__version__}.tar.gz"
    metadata = zipfile.ZipFile(wheel).read(f"kuro-{__version__}.dist-info/METADATA").decode()
    # The base install is the light client: httpx and nothing else.
    required = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert [name.split(">")[0].split("=")[0].strip() for name in required] == ["httpx"]


def test_server_runs_from_the_wheel(server: WheelServer):
    """The installed ``kuro`` is the wheel's, and the API answers with its version."""
    site = _run(
        [server.bin_dir / "python", "-c", "import kuro; print(kuro.__file__)"],
        env=server.env,
        cwd=server.data_dir,
    )
    assert "site-packages" in site and str(ROOT) not in site
    health = httpx.get(f"{server.url}/api/v1/health", timeout=10).json()
    assert health["version"] == __version__
    schema = httpx.get(f"{server.url}/api/v1/openapi.json", timeout=10)
    assert schema.status_code == 200 and "/api/v1/points" in schema.json()["paths"]


def test_every_migration_is_applied(server: WheelServer):
    """``kuro server`` applied every migration the wheel ships: the plan lists them all as
    applied and ``migrate --check`` finds none left (one process: Django starts once)."""
    check = (
        "import django\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('showmigrations', '--plan')\n"
        "call_command('migrate', '--check')\n"  # exits 1 when a migration is left
    )
    plan = _run(
        [server.bin_dir / "python", "-c", check],
        env={**server.env, "DJANGO_SETTINGS_MODULE": "kuro.server.settings"},
        cwd=server.data_dir,
    )
    assert "[X]  tracking.0001_initial" in plan and "[ ]" not in plan


def test_static_files_and_templates_are_served(server: WheelServer):
    """Static files of the installed packages (the admin's CSS, the API docs' Swagger UI)
    and Kuro's own templates (the sign-in page) come from the wheel's install."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        css = http.get("/static/admin/css/base.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        docs = http.get("/api/v1/docs")
        assert docs.status_code == 200
        static = [
            part.split('"')[0] for part in docs.text.split('="')[1:] if part.startswith("/static/")
        ]
        assert static, docs.text[:2000]
        for path in static:
            assert http.get(path).status_code == 200, path
        login = http.get("/accounts/login/")
        assert login.status_code == 200 and 'name="password"' in login.text


def test_dashboard_page_and_its_assets(server: WheelServer):
    """``/dash-index`` leads to the dashboard, whose page, layout, scripts and Kuro's own
    stylesheets all answer."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        first = http.get("/dash-index")
        assert first.status_code in (301, 302) and first.headers["location"] == "/dashboard/"
        page = http.get("/dashboard/")
        assert page.status_code == 200 and "_dash-config" in page.text
        links = [
            part.split('"')[0]
            for marker in ('src="', 'href="')
            for part in page.text.split(marker)[1:]
        ]
        bundles = [link for link in links if link.startswith("/dashboard/")]
        assert any("/dashboard/assets/kuro.css" in link for link in bundles), bundles
        assert any("_dash-component-suites" in link for link in bundles), bundles
        for link in bundles:
            assert http.get(urljoin(server.url, link)).status_code == 200, link
        assert http.get("/dashboard/_dash-layout").status_code == 200


def test_base_install_has_no_server(client_bin: Path, tmp_path):
    """The base install is the light client: no Django, Dash, numpy or gunicorn, and the
    server's commands say which extra they need."""
    missing = _run(
        [
            client_bin / "python",
            "-c",
            "import importlib.util as u, kuro.client;"
            "print([m for m in ('django', 'dash', 'ninja', 'numpy', 'gunicorn', 'optuna',"
            " 'plotly', 'httpx') if u.find_spec(m) is not None])",
        ],
        env=_clean_env(),
        cwd=tmp_path,
    )
    assert missing.strip() == "['httpx']"
    for command in ("migrate", "server"):
        refused = subprocess.run(
            [client_bin / "kuro", command],
            capture_output=True,
            text=True,
            timeout=60,
            env=_clean_env(KURO_DATA_DIR=str(tmp_path / "data")),
            cwd=tmp_path,
            check=False,
        )
        assert refused.returncode != 0, command
        assert "pip install 'kuro[server]'" in refused.stderr, (command, refused.stderr)
        assert "Traceback" not in refused.stderr, command


CLIENT_PROGRAM = textwrap.dedent(
    """
    import json, sys
    import kuro

    worker = kuro.Worker("wheel-client", server=sys.argv[1], spool_dir=sys.argv[2])
    experiment = worker.experiment(
        "wheel", "tiny.Model", metrics=[("acc", "max"), "loss"],
        hyper_parameters={"lr": 0.1}, n_trials=1)
    trial = experiment.trial()
    with trial:
        for step in range(50):
            trial.report_metric("loss", 1 / (step + 1), step=step)
        trial.report_metric("acc", 0.9)
    assert worker.flush(60), "not everything arrived"
    worker.close()
    print(json.dumps({"trial": trial.id, "kuro": kuro.__file__}))
    """
)


def test_client_from_base_install_logs_to_the_wheel_server(
    client_bin: Path, server: WheelServer, tmp_path
):
    """A training program run from the base install logs points that the server from the
    other virtualenv serves back, with the client's packages in the trial's context."""
    program = tmp_path / "train.py"
    program.write_text(CLIENT_PROGRAM)
    out = _run(
        [client_bin / "python", program, server.url, tmp_path / "spool"],
        env=_clean_env(),
        cwd=tmp_path,
    )
    answer = json.loads(out.strip().splitlines()[-1])
    assert str(client_bin.parent) in answer["kuro"]
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        history = http.get("/history", params={"trial_ids": answer["trial"]}).json()
        loss = history[0]["metrics"]["loss"]
        assert loss["steps"] == list(range(50))
        assert loss["values"] == [1 / (step + 1) for step in range(50)]
        assert history[0]["metrics"]["acc"]["values"] == [0.9]
        trial = http.get(f"/trials/{answer['trial']}").json()
        assert trial["status"] == "complete"
        packages = trial["context"]["packages"]
        assert f"kuro=={__version__}" in packages
        assert not [name for name in packages if name.startswith(("django", "dash"))]
