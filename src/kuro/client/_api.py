"""``kuro.Api``: read what the server holds, as plain JSON-able structures, for scripts.

Metric values come back as floats (NaN and infinities included, as Python's ``json``
writes them). Each answer that is a table offers ``to_pandas()`` when pandas is installed
(``pip install 'kuro[pandas]'``); pandas is never needed otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from kuro.client._annotations import annotation_body
from kuro.client._config import api_retry, server_url
from kuro.client._experiment import Metrics, metric_specs
from kuro.client._transport import HttpTransport, Transport
from kuro.core.comparison import DESCRIPTION_FLOATS, VERSUS_FLOATS
from kuro.core.export import export_columns, export_rows
from kuro.core.values import decode_value, decode_values

__all__ = ["Api", "Comparison", "Export", "History", "Records"]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install 'kuro[pandas]'") from None
    return pandas


class Records(list[dict[str, Any]]):
    """A list of flat dicts (JSON-able as it is); ``to_pandas()`` makes a DataFrame."""

    def to_pandas(self) -> Any:
        return _pandas().DataFrame.from_records(list(self))


class History(list[dict[str, Any]]):
    """``[{"trial_id", "metrics": {name: {"steps", "values", "times", "count", "sampled"}}}]``;
    ``to_pandas()`` is the long table ``trial_id, metric, step, value, time``."""

    def to_pandas(self) -> Any:
        """One row per point: ``trial_id`` and ``step`` int64, ``metric`` text (object), ``value``
        and ``time`` float64 (NaN and infinities as they are)."""
        pandas = _pandas()
        # Built column by column (no tuple per point): long series stay cheap to convert.
        trial_ids: list[int] = []
        metrics: list[str] = []
        steps: list[int] = []
        values: list[float] = []
        times: list[float] = []
        for h in self:
            for name, s in h["metrics"].items():
                n = len(s["steps"])
                if len(s["values"]) != n or len(s["times"]) != n:
                    raise ValueError(f"trial {h['trial_id']}, {name}: columns of unequal length")
                trial_ids.extend([h["trial_id"]] * n)
                metrics.extend([name] * n)
                steps.extend(s["steps"])
                values.extend(s["values"])
                times.extend(s["times"])
        return pandas.DataFrame(
            {
                "trial_id": pandas.array(trial_ids, dtype="int64"),
                "metric": pandas.Series(metrics, dtype=object),
                "step": pandas.array(steps, dtype="int64"),
                "value": pandas.array(values, dtype="float64"),
                "time": pandas.array(times, dtype="float64"),
            }
        )


def _decode_fields(record: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        record[name] = decode_value(record[name])


class Comparison(dict[str, Any]):
    """``Api.compare``'s answer: ``{"group", "metric", "mode", "statistic", "step",
    "leader_id", "experiments": [...]}``; ``to_pandas()`` is one row per experiment, its
    comparison with the leader as ``versus.<field>`` columns."""

    def to_pandas(self) -> Any:
        rows = []
        for row in self["experiments"]:
            flat = {k: v for k, v in row.items() if k not in ("versus_leader", "values")}
            for name, value in (row["versus_leader"] or {}).items():
                flat[f"versus.{name}"] = value
            rows.append(flat)
        return _pandas().DataFrame.from_records(rows)


class Export(dict[str, Any]):
    """A whole group in the server's export schema (``kuro.export/1``); ``to_pandas()`` is
    one row per point (the CSV columns of ``kuro export``)."""

    def to_pandas(self) -> Any:
        return _pandas().DataFrame.from_records(
            list(export_rows(self)), columns=export_columns(self)
        )


def _decode_series(history: list[dict[str, Any]]) -> None:
    for h in history:
        for s in h["metrics"].values():
            s["values"] = [decode_value(v) for v in s["values"]]


def _annotate(record: dict[str, Any], found: dict[int, dict[str, Any]]) -> None:
    item = found.get(record["id"])
    record["tags"] = item["tags"] if item else []
    record["note"] = item["note"] if item else ""


def _annotations_path(trial_id: int | None, experiment_id: int | None) -> str:
    if (trial_id is None) == (experiment_id is None):
        raise TypeError("name one trial_id or one experiment_id")
    kind, ident = ("trials", trial_id) if trial_id is not None else ("experiments", experiment_id)
    return f"/{kind}/{int(ident or 0)}/annotations"


class Api:
    """A Kuro server for scripts: reads, exports, the work queue and sweeps (``server``
    defaults to ``KURO_SERVER``).

    Thread-safe; one pooled connection; network failures are retried a few times and then
    raised as ``kuro.TransportError``, a 4xx as the ``KuroError`` the server names.
    """

    def __init__(
        self,
        server: str | None = None,
        *,
        timeout: float = 120.0,
        token: str | None = None,
        transport: httpx.BaseTransport | Transport | None = None,
    ) -> None:
        self.server = server_url(server)
        self._transport = (
            transport
            if isinstance(transport, Transport)
            else HttpTransport(self.server, timeout=timeout, transport=transport, token=token)
        )
        self._retry = api_retry(timeout)

    def _get(self, path: str, **params: Any) -> Any:
        params = {k: v for k, v in params.items() if v is not None}
        return self._retry.call(lambda: self._transport.request("GET", path, params=params))

    def _get_object(self, path: str, **params: Any) -> dict[str, Any]:
        """``_get`` for an answer that is one JSON object."""
        answer: dict[str, Any] = self._get(path, **params)
        return answer

    def groups(self) -> Records:
        """Every group: ``name``, ``created_at``, ``n_experiments``, ``n_trials``."""
        return Records(self._get("/groups"))

    def metrics(self, group: str) -> dict[str, str]:
        """The metrics of a group and their modes, ``{name: 'max' | 'min'}``."""
        return {m["name"]: m["mode"] for m in self._get("/experiments", group=group)["metrics"]}

    def experiments(self, group: str) -> Records:
        """A group's experiments, each with its ``trials`` and their per-metric summaries;
        each experiment and trial with its ``tags`` and ``note``."""
        experiments = self._get("/experiments", group=group)["experiments"]
        found = self._get_object("/annotations", group=group)
        notes = {kind: {a["id"]: a for a in found[kind]} for kind in ("experiments", "trials")}
        for e in experiments:
            _annotate(e, notes["experiments"])
            for t in e["trials"]:
                _annotate(t, notes["trials"])
                for summary in t["summaries"].values():
                    summary["best"] = decode_value(summary["best"])
                    summary["last"] = decode_value(summary["last"])
        return Records(experiments)

    def trials(
        self,
        group: str,
        *,
        experiment_id: int | None = None,
        status: str | None = None,
        worker: str | None = None,
        tag: str | None = None,
    ) -> Records:
        """A group's trials as flat records (with their ``tags`` and ``note``, and their
        experiment's ``identifier``, ``hyper_parameters``, ``experiment_tags`` and
        ``experiment_note``),
        optionally only one experiment's, status, worker, or ``tag`` (carried by the
        trial or by its experiment)."""
        rows = Records()
        for e in self.experiments(group):
            if experiment_id is not None and e["id"] != experiment_id:
                continue
            for t in e["trials"]:
                if status is not None and t["status"] != status:
                    continue
                if worker is not None and t["worker"] != worker:
                    continue
                if tag is not None and tag not in t["tags"] and tag not in e["tags"]:
                    continue
                rows.append(
                    {
                        **t,
                        "group": group,
                        "identifier": e["identifier"],
                        "hyper_parameters": e["hyper_parameters"],
                        "experiment_tags": e["tags"],
                        "experiment_note": e["note"],
                    }
                )
        return rows

    def trial(self, trial_id: int) -> dict[str, Any]:
        """One trial with its experiment's group, identifier and hyper-parameters, and its
        ``tags`` and ``note``."""
        trial = self._get_object(f"/trials/{trial_id}")
        trial.update(self.annotations(trial_id=trial_id))
        return trial

    def annotations(
        self, *, trial_id: int | None = None, experiment_id: int | None = None
    ) -> dict[str, Any]:
        """The ``tags`` and ``note`` of one trial or one experiment."""
        return self._get_object(_annotations_path(trial_id, experiment_id))

    def annotate(
        self,
        *,
        trial_id: int | None = None,
        experiment_id: int | None = None,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        note: str | None = None,
    ) -> dict[str, Any]:
        """Remove tags, add tags and set the note (``""`` clears it) of one trial or one
        experiment, at once; answers its ``tags`` and ``note`` after the change."""
        body = annotation_body(add, remove, note)
        return self._post(_annotations_path(trial_id, experiment_id), body)

    def history(
        self,
        trial_ids: Iterable[int],
        metrics: Iterable[str] | None = None,
        max_points: int | None = None,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> History:
        """The metric series of many trials in one request; ``max_points`` downsamples each
        series keeping its first and last points and each bucket's minimum and maximum;
        ``step_min``/``step_max`` (inclusive) read one range of steps."""
        body: dict[str, Any] = {
            "trial_ids": list(trial_ids),
            "metrics": None if metrics is None else list(metrics),
            "max_points": max_points,
        }
        if step_min is not None:
            body["step_min"] = step_min
        if step_max is not None:
            body["step_max"] = step_max
        answer = self._retry.call(lambda: self._transport.call("POST", "/history", body))
        _decode_series(answer)
        return History(answer)

    def compare(
        self,
        group: str,
        metric: str,
        *,
        statistic: str = "best",
        step: int | None = None,
        bootstrap: int = 0,
        encoded: bool = False,
    ) -> Comparison:
        """The group's settings ranked on ``metric`` (``GET /compare``): per experiment, the
        mean over complete trials of each trial's ``statistic`` ('best', 'last', 'step'
        with ``step``, 'summary') with its 95% interval, and its comparison with the leader
        (difference, Welch interval and p-value, probability of improvement, verdict).
        Values are floats (NaN included) unless ``encoded`` (the server's JSON as is);
        ``to_pandas()`` is one row per experiment."""
        params: dict[str, Any] = {"group": group, "metric": metric, "statistic": statistic}
        if step is not None:
            params["step"] = step
        if bootstrap:
            params["bootstrap"] = bootstrap
        answer = self._get_object("/compare", **params)
        if not encoded:
            for row in answer["experiments"]:
                _decode_fields(row, DESCRIPTION_FLOATS)
                row["values"] = decode_values(row["values"])
                if row["versus_leader"] is not None:
                    _decode_fields(row["versus_leader"], VERSUS_FLOATS)
        return Comparison(answer)

    def export(self, group: str) -> Export:
        """Everything of a group at full fidelity, in the export schema (values as on the
        wire: numbers or "NaN"/"Infinity"/"-Infinity")."""
        return Export(self._get("/export", group=group))

    # The work queue and sweeps ---------------------------------------------------------

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._retry.call(lambda: self._transport.call("POST", path, body))
        return answer

    def enqueue(
        self,
        group: str,
        identifier: str,
        hyper_parameters: dict[str, Any] | None = None,
        *,
        grid: dict[str, list[Any]] | None = None,
        n_trials: int = 1,
        metrics: Metrics = (),
        lease_seconds: int | None = None,
        max_retries: int | None = None,
    ) -> dict[str, Any]:
        """Queue ``n_trials`` trials of a setting, or of every combination of ``grid``'s
        values merged over ``hyper_parameters``; answers ``{"experiments": [ids],
        "queued": n}`` (settings already queued are not queued twice)."""
        body = {
            "group": group,
            "identifier": identifier,
            "hyper_parameters": hyper_parameters or {},
            "grid": grid,
            "n_trials": n_trials,
            "metrics": metric_specs(metrics),
            "lease_seconds": lease_seconds,
            "max_retries": max_retries,
        }
        return self._post("/queue", {k: v for k, v in body.items() if v is not None})

    def queue_status(self, group: str | None = None, sweep: int | None = None) -> dict[str, Any]:
        """Counts of queued work by status: ``{"counts": {status: n}, "total": n}``."""
        return self._get_object("/queue", group=group, sweep=sweep)

    def sweep_create(self, **spec: Any) -> dict[str, Any]:
        """Create a sweep: ``group``, ``identifier``, ``objective``, ``space`` and optionally
        ``mode``, ``sampler`` (tpe, random, grid, cmaes, gp), ``max_configs``, ``n_trials``,
        ``pruner`` (none, median, hyperband), ``pruner_options``, ``fixed``, ``seed``,
        ``name``. Answers the sweep, with its ``id``."""
        return self._post("/sweeps", spec)

    def sweep(self, sweep_id: int) -> dict[str, Any]:
        """A sweep's progress by status, its configurations (params, mean ± std over their
        trials) and the best one so far."""
        return self._get_object(f"/sweeps/{sweep_id}")

    def sweeps(self) -> Records:
        """Every sweep, newest first."""
        return Records(self._get("/sweeps"))

    def sweep_importance(self, sweep_id: int) -> dict[str, float]:
        """Optuna's parameter importances over the sweep's scored configurations."""
        return self._get_object(f"/sweeps/{sweep_id}/importance")

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
