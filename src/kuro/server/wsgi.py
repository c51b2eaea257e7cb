"""WSGI entry point for gunicorn and other servers: Django, with the Dash dashboard mounted
under ``/dashboard/`` in the same process (see ``kuro.dashboard.mount``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuro.server.settings")
application = get_wsgi_application()

from kuro.dashboard.mount import mount_dashboard  # noqa: E402  (needs Django set up first)
from kuro.server.middleware import bounded_bodies, reaping  # noqa: E402

# The dashboard's requests bypass Django's middleware: they reap expired leases here, so
# the pages people read converge like the API does (at most once a second per process).
application = bounded_bodies(reaping(mount_dashboard(application)))
