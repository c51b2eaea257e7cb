"""The shared core's docstring examples run, so they cannot drift."""

from __future__ import annotations

import doctest

import pytest

from kuro.core import (
    comparison,
    downsample,
    labels,
    limits,
    modes,
    statistics,
    statuses,
    values,
)


@pytest.mark.parametrize(
    "module", [comparison, downsample, labels, limits, modes, statistics, statuses, values]
)
def test_docstring_examples(module):
    """Every example in the module's docstrings gives what it shows."""
    result = doctest.testmod(module)
    assert result.attempted and not result.failed
