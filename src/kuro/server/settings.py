"""Django settings for the Kuro server, read from ``KURO_*`` environment variables.

- ``KURO_DATA_DIR``: where the SQLite database and the secret key live (``./kuro-data``).
- ``KURO_DATABASE_URL``: ``postgresql://user:password@host:port/name`` to use PostgreSQL.
- ``KURO_SECRET_KEY``: overrides the key generated on first start in the data directory.
- ``KURO_DEBUG``: ``1`` turns Django's debug mode on (never in ``kuro server``).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from kuro.server.config import (
    auth_mode,
    database_settings,
    limits,
    points_body_bytes,
    queue_defaults,
    runserver_host,
    secret_key,
)

DATA_DIR = Path(os.environ.get("KURO_DATA_DIR", "kuro-data")).resolve()
SECRET_KEY = secret_key(DATA_DIR)
DEBUG = os.environ.get("KURO_DEBUG", "") == "1"
# KURO_AUTH decides when set; else auth follows the bind address, as `kuro server` does:
# off on a loopback address (a workstation), on elsewhere or when the address is unknown.
KURO_AUTH, _ = auth_mode(runserver_host(sys.argv), configured=os.environ.get("KURO_AUTH"))
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs page from local assets, no CDN
    "axes",  # failed sign-ins throttled per account and per address
    "kuro.server.tracking",
    "kuro.server.queue",
    "kuro.server.telemetry",
    "kuro.server.accounts",
    "kuro.server.annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kuro.server.middleware.RejectNul",
    "kuro.server.middleware.ReapLeases",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in
]

# Sign-ins (the login page, the admin) go through django-axes first: after
# KURO_LOGIN_FAILURES failed attempts for one account, or from one address, further attempts
# are refused for KURO_LOGIN_COOLOFF_MINUTES, whatever the password; a success resets.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("KURO_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("KURO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
# Trusted reverse proxies in front of the server: the throttle then counts the address they
# forwarded, not theirs (see kuro.server.accounts.addresses).
KURO_PROXY_COUNT = int(os.environ.get("KURO_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "kuro.server.accounts.addresses.client_address"

ROOT_URLCONF = "kuro.server.urls"
WSGI_APPLICATION = "kuro.server.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_settings(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve admin and dashboard assets straight from the installed packages: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

KURO_LIMITS = limits()
KURO_QUEUE = queue_defaults()
# Days a batch id is kept so that a resent batch applies once (0: for ever); see
# kuro.server.tracking.services.batches.
KURO_BATCH_RETENTION_DAYS = float(os.environ.get("KURO_BATCH_RETENTION_DAYS", "30"))
# A batch of KURO_MAX_BATCH_POINTS points must fit; anything larger gets a 413 naming the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = KURO_LIMITS["max_body_bytes"]
# Batches of points are the only large bodies: theirs is bounded by their points limit, and
# checked before the body is read (kuro.server.middleware.bounded_bodies).
KURO_POINTS_BODY_BYTES = points_body_bytes(KURO_LIMITS)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING"},
        # 4xx answers are the client's mistakes, already explained in their bodies.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "kuro": {"handlers": ["console"], "level": "INFO"},
    },
}
