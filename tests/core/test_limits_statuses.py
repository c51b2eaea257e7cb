"""Shared limits and statuses: the client's checks and the server's schemas agree."""

from __future__ import annotations

import pytest

import kuro
from kuro.core.limits import IDENTIFIER_MAX, NAME_MAX, STEP_MAX, check_name, check_step, check_text
from kuro.core.statuses import END_STATUSES, STATUSES, TRANSITIONS, can_move


def test_names_and_identifiers_have_their_own_limits():
    """A 300-character identifier is fine, a 300-character name is not."""
    assert check_text("x" * 300, "identifier", IDENTIFIER_MAX)
    with pytest.raises(kuro.InvalidInput) as error:
        check_name("x" * (NAME_MAX + 1), "group")
    assert error.value.field == "group"


@pytest.mark.parametrize("bad", [1.0, True, "3", STEP_MAX + 1])
def test_steps_are_64_bit_integers(bad):
    """Floats, booleans, strings and overflowing integers are not steps."""
    with pytest.raises(kuro.InvalidInput):
        check_step(bad)


def test_ended_trials_never_move():
    """Only queued and running trials change status; ending is from running."""
    assert set(TRANSITIONS) == set(STATUSES)
    for status in END_STATUSES:
        assert can_move("running", status)
        assert not TRANSITIONS[status]
    assert not can_move("complete", "running")
