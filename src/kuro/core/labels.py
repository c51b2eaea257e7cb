"""How a setting is named wherever settings stand side by side: the dashboard's charts and
grids, and ``kuro compare``'s table. Its identifier (a dotted path by its last part, unless
two would then read the same), its id, and at most four of the hyper-parameters that differ
among the settings of that identifier (numbers to four significant digits), the whole cut
to a width with an ellipsis. Plain Python: the client's CLI uses it without the dashboard.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kuro.core.canonical import canonical_text

__all__ = [
    "LABEL_WIDTH",
    "MAX_LABEL_KEYS",
    "canonical_value",
    "cut",
    "differing_keys",
    "display_value",
    "experiment_hovers",
    "experiment_labels",
    "flatten",
    "param_text",
    "short_names",
]

MAX_LABEL_KEYS = 4
"""Differing hyper-parameters written in a label; the others are in the hover."""
LABEL_WIDTH = 48
_NAME_WIDTH = 12  # the least of a name kept when it is cut for the values


def display_value(value: Any) -> Any:
    """A hyper-parameter value as a label or a grid cell shows it: numbers and text as they
    are, anything else (lists, objects, booleans) as JSON."""
    if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
        return value
    return json.dumps(value)


def short_names(identifiers: Iterable[str]) -> dict[str, str]:
    """Identifiers that are dotted paths (``qanta.guesser.dan.DanGuesser``) by their last
    part, unless two would then read the same."""
    unique = set(identifiers)
    short = {i: i.rsplit(".", 1)[-1] or i for i in unique}
    if len(set(short.values())) < len(unique):
        return {i: i for i in unique}
    return short


def param_text(key: str, value: Any) -> str:
    shown = f"{value:.4g}" if isinstance(value, float) else display_value(value)
    return f"{key}={shown}"


def experiment_labels(
    experiments: Sequence[Mapping[str, Any]], *, width: int = LABEL_WIDTH
) -> dict[int, str]:
    """experiment id -> ``identifier #id`` and up to four hyper-parameters that differ
    (numbers to four significant digits), cut to ``width`` characters with an ellipsis:
    the identifier first (down to 12 characters), then the end. ``experiment_hovers`` has
    the whole of it.

    >>> experiment_labels([{"id": 3, "identifier": "zoo.mlp", "hyper_parameters": {"lr": 1}},
    ...                    {"id": 4, "identifier": "zoo.mlp", "hyper_parameters": {"lr": 2}}])
    {3: 'mlp #3 · lr=1', 4: 'mlp #4 · lr=2'}
    """
    keys = differing_keys(experiments)
    names = short_names(e["identifier"] for e in experiments)
    tails = {e["id"]: _tail(e, keys[e["identifier"]], MAX_LABEL_KEYS) for e in experiments}
    # A name too long for its values is cut first (the values tell the settings apart),
    # alike in all of its labels.
    room: dict[str, int] = {}
    for e in experiments:
        tail = len(tails[e["id"]])
        room[e["identifier"]] = min(room.get(e["identifier"], width), width - tail)
    labels = {}
    for e in experiments:
        name = names[e["identifier"]]
        if len(name) > room[e["identifier"]]:
            name = cut(name, max(_NAME_WIDTH, room[e["identifier"]]))
        labels[e["id"]] = cut(name + tails[e["id"]], width)
    return labels


def experiment_hovers(experiments: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """experiment id -> its identifier, id and every differing hyper-parameter, uncut."""
    keys = differing_keys(experiments)
    return {e["id"]: e["identifier"] + _tail(e, keys[e["identifier"]]) for e in experiments}


def _tail(experiment: Mapping[str, Any], keys: Sequence[str], limit: int | None = None) -> str:
    """`` #id · k=v, ...`` of a label or hover: the values of ``keys`` (the first ``limit``,
    the others counted)."""
    params = flatten(experiment.get("hyper_parameters") or {})
    shown_keys = keys if limit is None else keys[:limit]
    shown = ", ".join(param_text(k, params.get(k)) for k in shown_keys)
    more = len(keys) - len(shown_keys)
    shown += f", +{more}" if more > 0 else ""
    return f" #{experiment['id']}" + (f" · {shown}" if shown else "")


def cut(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut.

    >>> cut("transformer-with-a-very-long-name", 12)
    'transformer…'
    """
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested hyper-parameters as dotted keys; lists stay values (shown as JSON)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def canonical_value(value: Any) -> str:
    """``canonical_text(value)``: the server's canonical JSON of one hyper-parameter value
    (1 and 1.0 are one value), without its normalising pass for the usual scalars, which
    a group's thousands of values would otherwise each pay for.

    >>> canonical_value(1.0), canonical_value(0.5), canonical_value("adam"), canonical_value([1.0])
    ('1', '0.5', '"adam"', '[1]')
    """
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        integral = value.is_integer() and abs(value) < 2**63
        return int.__repr__(int(value)) if integral else float.__repr__(value)
    return canonical_text(value)


def differing_keys(experiments: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """identifier -> the flattened hyper-parameter keys whose values differ among that
    identifier's experiments (a key some lack counts as differing), sorted.

    >>> differing_keys([
    ...     {"identifier": "mlp", "hyper_parameters": {"lr": 0.1, "layers": 2}},
    ...     {"identifier": "mlp", "hyper_parameters": {"lr": 0.01, "layers": 2}},
    ... ])
    {'mlp': ['lr']}
    """
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    present: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    for experiment in experiments:
        identifier = experiment["identifier"]
        counts[identifier] += 1
        for key, value in flatten(experiment.get("hyper_parameters") or {}).items():
            # The server's canonical form: 1 and 1.0 are one value, objects compare by content.
            seen[identifier][key].add(canonical_value(value))
            present[identifier][key] += 1
    return {
        identifier: sorted(
            key
            # Differs: two values, or present in only some of the experiments.
            for key, distinct in seen[identifier].items()
            if len(distinct) > 1 or present[identifier][key] < n
        )
        for identifier, n in counts.items()
    }
