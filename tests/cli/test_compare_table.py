"""``kuro compare``'s table: its docstring example runs, and numbers read as people expect."""

from __future__ import annotations

import doctest
import math

from kuro.cli import compare


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
