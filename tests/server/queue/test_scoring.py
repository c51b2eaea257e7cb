"""Scoring configurations: pure functions over trials and their summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from kuro.server.queue import scoring
from kuro.server.queue.scoring import (
    config_score,
    config_trials_done,
    mean_std,
    objective_value,
)


@dataclass
class _Trial:
    pk: int
    number: int
    status: str


def _summaries(bests: dict[int, object]) -> dict[int, dict[str, dict[str, object]]]:
    return {pk: {"loss": {"best": best}} for pk, best in bests.items()}


def test_done_when_every_number_has_ended():
    """A configuration is done only when each of its trial numbers ended for good."""
    assert config_trials_done([_Trial(1, 0, "complete"), _Trial(2, 1, "pruned")])
    assert not config_trials_done([_Trial(1, 0, "complete"), _Trial(2, 1, "running")])
    assert not config_trials_done([])


@pytest.mark.parametrize(
    ("best", "expected"),
    [(0.5, 0.5), ("-Infinity", -math.inf), (math.inf, math.inf), ("Infinity", math.inf)],
)
def test_floats_and_wire_strings_score_alike(best, expected):
    """A best given as a float or as a wire string is the same value."""
    trials = [_Trial(1, 0, "complete")]
    assert config_score(trials=trials, summaries=_summaries({1: best}), objective="loss") == (
        "complete",
        expected,
    )


@pytest.mark.parametrize("best", [math.nan, "NaN", None])
def test_nan_best_is_no_value(best):
    """A NaN (or missing) best leaves the configuration without a value: failed, or pruned
    when one of its trials was pruned."""
    done = [_Trial(1, 0, "complete")]
    summaries = _summaries({1: best})
    assert config_score(trials=done, summaries=summaries, objective="loss") == ("failed", None)
    pruned = [*done, _Trial(2, 1, "pruned")]
    assert config_score(trials=pruned, summaries=summaries, objective="loss") == ("pruned", None)


def test_opposite_infinities_are_no_value():
    """+inf and -inf bests together have no mean: the configuration is not scored."""
    trials = [_Trial(1, 0, "complete"), _Trial(2, 1, "complete")]
    summaries = _summaries({1: math.inf, 2: -math.inf})
    assert config_score(trials=trials, summaries=summaries, objective="loss") == ("failed", None)


def test_mean_std_with_infinities():
    """An infinity makes the mean infinite and the spread NaN (one value has none)."""
    assert mean_std([-math.inf]) == (-math.inf, 0.0)
    mean, std = mean_std([-math.inf, 1.0])
    assert mean == -math.inf and math.isnan(std)


def test_objective_value_refuses_what_is_not_a_value():
    """Anything but a number, a wire string or None is an error, not a silent NaN."""
    with pytest.raises(ValueError):
        objective_value("bogus")


def test_docstring_examples():
    """The module's examples run."""
    import doctest

    assert doctest.testmod(scoring).failed == 0
