"""``kuro compare``'s table: its docstring example runs, and numbers read as people expect."""

from __future__ import annotations

import doctest
import math

from kuro.cli import compare
from kuro.core.statistics import versus


def test_docstring_examples():
    """The example in ``format_table``'s docstring gives what it shows."""
    result = doctest.testmod(compare)
    assert result.attempted and not result.failed


def test_missing_and_infinite_values_are_spelled_out():
    """A setting without complete trials shows dashes; an infinite mean is spelled out."""
    rows = [
        {
            "identifier": "a",
            "hyper_parameters": {},
            "n": 2,
            "mean": -math.inf,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "rank": 1,
            "versus_leader": None,
        },
        {
            "identifier": "b",
            "hyper_parameters": {},
            "n": 0,
            "mean": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "rank": 2,
            "versus_leader": None,
        },
    ]
    answer = {
        "group": "g",
        "metric": "loss",
        "mode": "min",
        "statistic": "step",
        "step": 7,
        "experiments": rows,
    }
    lines = compare.format_table(answer).splitlines()
    assert "value at step 7" in lines[0]
    assert "-Infinity" in lines[2] and lines[2].endswith("leader")
    assert lines[3].split()[3] == "-" and lines[3].endswith("no complete trial")


def test_a_tie_is_a_word_not_plus_zero():
    """Two settings with the same mean: the difference column says so in words."""
    leader = [0.9, 0.91, 0.92]
    rows = [
        {"identifier": "a", "hyper_parameters": {"lr": 1}, "rank": 1, "versus_leader": None},
        {
            "identifier": "a",
            "hyper_parameters": {"lr": 2},
            "rank": 2,
            # The same values in another order: their mean differs only by rounding.
            "versus_leader": versus(leader, [0.92, 0.9, 0.91], "max").as_dict(),
        },
    ]
    for row in rows:
        row.update(n=3, mean=0.91, ci_low=0.89, ci_high=0.93)
    answer = {
        "group": "g",
        "metric": "acc",
        "mode": "max",
        "statistic": "best",
        "experiments": rows,
    }
    tied = compare.format_table(answer).splitlines()[3]
    assert " tied " in tied and "+0" not in tied
    assert tied.endswith("tied with the leader on the mean; more trials would not separate them")
