"""Limits the client, the server's schemas and its models share, and the server's
configurable request limits with their defaults.

The fixed ones are part of the data model (a name longer than ``NAME_MAX`` cannot be
stored). The configurable ones (``DEFAULTS``, each set on the server by its environment
variable) are learned by the client from the server's ``GET /api/v1/health`` answer, so a
client never sizes a batch past what its server takes.

>>> check_name("guesser", "group")
'guesser'
>>> len(check_text("x" * 300, "identifier", IDENTIFIER_MAX))
300
"""

from __future__ import annotations

import numbers
from typing import Any

from kuro.core.errors import InvalidInput

__all__ = [
    "ARGV_MAX",
    "BATCH_ID_MAX",
    "CONTEXT_TEXT_MAX",
    "DEFAULTS",
    "DIFF_MAX",
    "ERROR_TEXT_MAX",
    "GRID_MAX",
    "IDENTIFIER_MAX",
    "ID_MAX",
    "NAME_MAX",
    "NOTE_MAX",
    "PACKAGES_MAX",
    "STEP_MAX",
    "STEP_MIN",
    "TAGS_MAX",
    "TAG_MAX",
    "TEXT_MAX",
    "check_name",
    "check_note",
    "check_step",
    "check_tag",
    "check_text",
]

NAME_MAX = 200
"""Groups, metrics, workers, sweeps: 1 to 200 characters."""
IDENTIFIER_MAX = 500
"""An experiment's identifier (often a dotted class path): 1 to 500 characters."""
TEXT_MAX = 300
"""Free text describing a worker (CPU brand, hostname, platform)."""
ERROR_TEXT_MAX = 65_536
"""The error text of a failed trial; the client keeps its tail."""
BATCH_ID_MAX = 100
DIFF_MAX = 262_144
"""Characters of a trial's git diff in its run context; the client cuts a longer one."""
ARGV_MAX = 1_000
"""Arguments of a trial's command line in its run context, each at most CONTEXT_TEXT_MAX."""
CONTEXT_TEXT_MAX = 4_096
"""Characters of one text of a run context (an argument, the working directory, ...)."""
PACKAGES_MAX = 10_000
"""Installed distributions listed in a run context."""
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1
"""A step fits in a signed 64-bit integer."""
ID_MAX = 2**63 - 1
"""A database id: positive and within 64 bits."""
GRID_MAX = 10_000
"""Points of a grid, for the queue (``kuro queue add``) and for a grid sweep."""
TAG_MAX = 64
"""A tag of an experiment or a trial: 1 to 64 characters, no whitespace and no comma."""
TAGS_MAX = 100
"""Tags of one experiment or trial."""
NOTE_MAX = 10_000
"""Characters of the free-text note of an experiment or a trial."""

DEFAULTS: dict[str, int] = {
    "max_batch_points": 50_000,
    "max_body_bytes": 32 * 1024 * 1024,
    "max_history_trials": 5_000,
    "max_trials": 10_000,
    "max_metrics": 1_000,
    "max_hyper_parameters_bytes": 64 * 1024,
}
"""The server's request limits; ``KURO_<NAME>`` (upper case) sets each on the server."""


def check_text(value: Any, field: str, limit: int) -> str:
    """``value`` when it is a string of 1 to ``limit`` characters; ``InvalidInput`` else."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidInput(
            f"{field} is a string of 1 to {limit} characters, not {value!r:.60}", field=field
        )
    return value


def check_name(value: Any, field: str) -> str:
    """A group, metric or worker name: 1 to ``NAME_MAX`` characters."""
    return check_text(value, field, NAME_MAX)


def check_step(step: Any, field: str = "step") -> int:
    """``step`` as an int when it is an integer within 64 bits; ``InvalidInput`` else."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInput(
            f"a step is an integer, not {type(step).__name__} {step!r:.60}", field=field
        )
    value = int(step)
    if not STEP_MIN <= value <= STEP_MAX:
        raise InvalidInput(f"a step fits in 64 bits; {value} does not", field=field)
    return value


def check_tag(value: Any, field: str = "tag") -> str:
    """A tag: 1 to ``TAG_MAX`` characters without whitespace, commas or control characters
    (tags are written comma-separated in CSV and typed on command lines)."""
    check_text(value, field, TAG_MAX)
    if any(c.isspace() or c == "," or not c.isprintable() for c in value):
        raise InvalidInput(
            f"{field} holds no whitespace, comma or control character: {value!r:.80}",
            field=field,
        )
    return str(value)


def check_note(value: Any, field: str = "note") -> str:
    """A note: a string of at most ``NOTE_MAX`` characters (empty clears it), with no NUL
    character or lone surrogate (the databases cannot store them)."""
    if not isinstance(value, str) or len(value) > NOTE_MAX:
        raise InvalidInput(
            f"{field} is a string of at most {NOTE_MAX:,} characters, not "
            f"{type(value).__name__} of length {len(value) if isinstance(value, str) else '-'}",
            field=field,
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"{field} holds a lone surrogate (not valid text)", field=field
        ) from None
    if "\x00" in value:
        raise InvalidInput(f"{field} holds a NUL character", field=field)
    return value
