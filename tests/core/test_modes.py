"""Metric modes: inferred from names, checked, and the best value by mode."""

from __future__ import annotations

import math

import pytest

import kuro
from kuro.core.modes import best_of, check_mode, check_same_mode, infer_mode, resolve_mode


def test_names_imply_modes():
    """``acc`` is maximised, ``loss`` minimised, anything else is unknown."""
    assert infer_mode("Val_Accuracy") == "max"
    assert infer_mode("train_loss") == "min"
    assert infer_mode("lr") is None


def test_resolution_and_conflicts_name_the_field():
    """A new metric without an implied mode, a bad mode and a clash raise with the field."""
    with pytest.raises(kuro.ModeRequired) as required:
        resolve_mode("optimality", None, group="g", field="metrics[2]")
    assert required.value.field == "metrics[2]" and "'optimality'" in required.value.message
    with pytest.raises(kuro.InvalidInput) as bad:
        check_mode("up")
    assert bad.value.field == "mode"
    with pytest.raises(kuro.ModeConflict) as clash:
        check_same_mode("acc", "max", "min", group="g")
    assert clash.value.detail == {
        "field": "mode",
        "metric": "acc",
        "mode": "max",
        "requested": "min",
    }
    check_same_mode("acc", "max", None, group="g")


def test_best_skips_nan_and_keeps_infinities():
    """NaN is never best; infinities are real values."""
    assert best_of([1.0, math.nan, -math.inf], "min") == -math.inf
    assert best_of([1.0, math.nan, 3.0], "max") == 3.0
    assert math.isnan(best_of([math.nan], "max"))
    assert math.isnan(best_of([], "min"))
