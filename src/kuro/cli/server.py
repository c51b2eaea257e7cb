"""``kuro server`` and ``kuro migrate``: the tracking server under gunicorn."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from kuro.server.config import auth_mode, is_loopback

__all__ = ["auth_mode", "is_loopback", "register"]


def register(commands: Any) -> None:
    serve = commands.add_parser("server", help="apply migrations and serve the tracking server")
    serve.add_argument("--host", default=os.environ.get("KURO_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("KURO_PORT", "8000")))
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("KURO_WORKERS", "2")),
        help="server processes (default 2)",
    )
    serve.add_argument("--threads", type=int, default=4, help="threads per process (default 4)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument(
        "--access-log",
        metavar="FILE",
        help="log each request (method, path, status, milliseconds; never headers) to FILE, "
        "or - for standard output",
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="serve without auth on a non-loopback address (anyone who reaches it can write)",
    )
    serve.set_defaults(run=_serve)
    migrate = commands.add_parser("migrate", help="create or update the database tables")
    migrate.set_defaults(run=_migrate)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuro.server.settings")
    try:
        import django
    except ImportError:
        sys.exit("kuro: the server needs its extra: pip install 'kuro[server]'")
    django.setup()


def _migrate(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


def _serve(args: argparse.Namespace) -> int:
    auth, warning = auth_mode(
        args.host, insecure=args.insecure, configured=os.environ.get("KURO_AUTH")
    )
    os.environ["KURO_AUTH"] = "on" if auth else "off"
    os.environ.pop("KURO_DEBUG", None)  # never debug pages on a served instance
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from gunicorn.app.base import BaseApplication

    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    from kuro.server.wsgi import application

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": args.access_log,
        # No headers and no query strings (tokens never reach a log): method, path, status,
        # response size and time in microseconds.
        "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(D)s',
        "loglevel": "warning",
    }

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    database = settings.DATABASES["default"]
    where = database["NAME"] if "sqlite" in database["ENGINE"] else f"PostgreSQL {database['NAME']}"
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Kuro server on http://{host}:{args.port}/  (API /api/v1/docs, admin /admin/)")
    print(f"Database: {where}")
    if auth:
        print("Auth: on (API tokens: kuro token create NAME; logins: kuro user create NAME)")
    else:
        print("Auth: off (open to whoever reaches this address)")
    if warning:
        print(warning, file=sys.stderr)
    sys.stdout.flush()
    _Server().run()
    return 0
