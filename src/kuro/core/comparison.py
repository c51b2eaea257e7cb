"""The names of a comparison, shared by the server, the client, the CLI and the dashboard;
no numpy here (the light client reads comparisons too), the numbers are in ``statistics``.

>>> STATISTICS
('best', 'last', 'step', 'summary')
"""

from __future__ import annotations

from typing import Literal

__all__ = ["DESCRIPTION_FLOATS", "STATISTICS", "VERSUS_FLOATS", "Statistic"]

Statistic = Literal["best", "last", "step", "summary"]
"""How one trial gives one value: its ``best`` by the metric's mode, its ``last`` value, its
value at a ``step``, or its ``summary`` value (a metric reported once; for a series, its
last value)."""
STATISTICS: tuple[Statistic, ...] = ("best", "last", "step", "summary")

DESCRIPTION_FLOATS = (
    "mean",
    "std",
    "sem",
    "ci_low",
    "ci_high",
    "median",
    "iqm",
    "bootstrap_low",
    "bootstrap_high",
)
"""The float fields of a setting's description (``statistics.Description``)."""
VERSUS_FLOATS = ("difference", "ci_low", "ci_high", "p_value", "probability_of_improvement")
"""The float fields of a setting against the leader (``statistics.Versus``)."""
