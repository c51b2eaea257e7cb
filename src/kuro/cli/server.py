"""``kuro server`` and ``kuro migrate``: the tracking server under gunicorn.

The default worker is gevent's: each connection is a greenlet, so a client that sends its
request slowly, or holds an idle connection open, costs a little memory and never a whole
thread (with gthread, 8 slow clients stop a default server). Django, Dash and psycopg run
unchanged on gevent's patched standard library (psycopg detects the patching at import
and waits on its sockets through it), so it is patched first, before any of them is
imported. ``--worker-class gthread`` keeps the threaded worker."""

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
    serve.add_argument(
        "--worker-class",
        choices=("gevent", "gthread"),
        default=os.environ.get("KURO_WORKER_CLASS", "gevent"),
        help="gevent (default: slow and idle clients are cheap) or gthread",
    )
    serve.add_argument(
        "--threads", type=int, default=4, help="threads per process with gthread (default 4)"
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=int(os.environ.get("KURO_MAX_CONNECTIONS", "1000")),
        help="open connections per process with gevent (default 1000)",
    )
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


NEEDS_EXTRA = "kuro: the server needs its extra: pip install 'kuro[server]'"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuro.server.settings")
    try:
        import django
    except ImportError:
        sys.exit(NEEDS_EXTRA)
    django.setup()


def _migrate(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


def _serve(args: argparse.Namespace) -> int:
    if args.worker_class == "gevent":
        # Before Django, Dash and psycopg are imported: they must see the patched modules.
        try:
            from gevent import monkey
        except ImportError:
            sys.exit(NEEDS_EXTRA)

        monkey.patch_all()
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
        "worker_class": args.worker_class,
        "worker_connections": args.max_connections,
        "timeout": 120,
        "keepalive": 5,
        # gunicorn's longest request line (its default is 4094, answered in HTML): query
        # strings of long names and repeated parameters fit; larger bodies go in POSTs.
        "limit_request_line": 8190,
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
    # What the startup freed (migrations, the dashboard's pages built once) is kept neither
    # by the master process nor by the workers it forks (kuro.server.allocator).
    from kuro.server.allocator import allocator_release

    allocator_release()
    _Server().run()
    return 0
