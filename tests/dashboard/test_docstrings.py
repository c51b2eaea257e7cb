"""The dashboard's docstring examples run, so they cannot drift."""

from __future__ import annotations

import doctest

import pytest

from kuro.dashboard import address, aggregation, comparison, formats, stores
from kuro.dashboard.components import curves
from kuro.dashboard.figures import theme


@pytest.mark.parametrize(
    "module", [address, aggregation, comparison, curves, formats, stores, theme]
)
def test_docstring_examples(module):
    """Every example in the module's docstrings gives what it shows."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed
