"""The telemetry app's limits: what one request may carry, and how much output a trial
keeps (``KURO_OUTPUT_MAX_CHARS`` on the server, default 4,000,000 characters).

>>> output_max_chars({"KURO_OUTPUT_MAX_CHARS": "1000"})
1000
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "CHUNK_MAX",
    "OUTPUT_MAX_DEFAULT",
    "SAMPLES_MAX",
    "SAMPLE_VALUES_MAX",
    "SESSION_MAX",
    "output_max_chars",
]

CHUNK_MAX = 1_048_576
"""Characters of output one request may carry (the client sends far smaller pieces)."""
SESSION_MAX = 64
"""Characters of the name of the process (capture session) a piece of output comes from."""
SAMPLES_MAX = 1_000
"""System samples in one request."""
SAMPLE_VALUES_MAX = 64
"""Values in one system sample (CPU, memory, and a few per GPU)."""
OUTPUT_MAX_DEFAULT = 4_000_000
"""Characters of output kept per trial unless ``KURO_OUTPUT_MAX_CHARS`` says otherwise: the
first half and the last half, with the cut between them marked."""
_MINIMUM = 2


def output_max_chars(environ: Mapping[str, str] | None = None) -> int:
    """Characters of output kept per trial: Django's ``KURO_OUTPUT_MAX_CHARS`` setting (tests
    set it), else the environment variable of that name, else ``OUTPUT_MAX_DEFAULT``."""
    configured = getattr(settings, "KURO_OUTPUT_MAX_CHARS", None) if environ is None else None
    if configured is None:
        text = (os.environ if environ is None else environ).get("KURO_OUTPUT_MAX_CHARS", "")
        if not text.strip():
            return OUTPUT_MAX_DEFAULT
        try:
            configured = int(text)
        except ValueError:
            raise ImproperlyConfigured(
                f"KURO_OUTPUT_MAX_CHARS is a number of characters, not {text!r}"
            ) from None
    if configured < _MINIMUM:
        raise ImproperlyConfigured(f"KURO_OUTPUT_MAX_CHARS is at least {_MINIMUM}")
    return int(configured)
