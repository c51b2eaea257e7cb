"""``kuro export GROUP``: every experiment, trial and full series of a group, as the
server's JSON export (schema ``kuro.export/1``), as a flat CSV, one row per point, or as
the same table in Parquet (``pip install 'kuro[parquet]'``, pyarrow).

The Parquet table has the CSV's columns (``kuro.core.export``) with their types: ids and
steps ``int64``, ``value`` and ``time`` ``float64`` (NaN and infinities kept as they are),
text as strings; a hyper-parameter column is typed by its values (integers, floats,
booleans or strings; JSON text when they mix, or for lists and objects), null where an
experiment lacks it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_INTEGERS = ("experiment_id", "trial_id", "trial_number", "step")


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="write a group's experiments, trials and series")
    export.add_argument("group")
    export.add_argument(
        "--format",
        choices=["json", "csv", "parquet"],
        help="json (the server's export schema), csv (one row per point) or parquet (the "
        "same table, typed; needs pyarrow); default: from the file name, else json",
    )
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.add_argument("--server", help="server URL (default: KURO_SERVER)")
    export.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from kuro import Api
    from kuro.core.export import write_csv

    suffix = args.output.suffix.lower() if args.output else ""
    fmt = args.format or _SUFFIXES.get(suffix, "json")
    if fmt == "parquet" and not _has_pyarrow():
        print(
            "kuro export: --format parquet needs pyarrow: pip install 'kuro[parquet]'",
            file=sys.stderr,
        )
        return 1
    with Api(args.server) as api:
        doc = api.export(args.group)
    if fmt == "parquet":
        n = _write_parquet(doc, args.output)
    else:
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(args.output.open("w", newline="", encoding="utf-8"))
                if args.output
                else sys.stdout
            )
            if fmt == "csv":
                n = write_csv(doc, out)
            else:
                json.dump(doc, out, allow_nan=False)
                out.write("\n")
                n = sum(
                    len(s["steps"])
                    for e in doc["experiments"]
                    for t in e["trials"]
                    for s in t.get("series", {}).values()
                )
    if args.output:
        trials = sum(len(e["trials"]) for e in doc["experiments"])
        print(
            f"kuro export: {len(doc['experiments'])} experiments, {trials} trials, {n:,} points "
            f"of group {args.group!r} written to {args.output} ({fmt})",
            file=sys.stderr,
        )
    return 0


def _has_pyarrow() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def _write_parquet(doc: dict[str, Any], output: Path | None) -> int:
    """Write the export's table as Parquet to ``output`` (stdout when None); answers the
    number of points."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _table(doc)
    if output is not None:
        pq.write_table(table, str(output))
    else:  # a pipe cannot seek: the file is made in memory, then written out
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        sys.stdout.buffer.write(sink.getvalue().to_pybytes())
    return int(table.num_rows)


def _table(doc: dict[str, Any]) -> Any:
    """The export as a ``pyarrow.Table`` of ``export_columns(doc)``, one row per point.

    Built a series at a time: its constant columns (experiment, trial, metric) as repeats
    of one scalar, its steps, values and times as arrays, each column the chunks of its
    series."""
    import pyarrow as pa

    from kuro.core.export import export_columns
    from kuro.core.values import decode_values

    names = export_columns(doc)
    experiments = doc["experiments"]
    hp = {}  # column -> (type, its value in each experiment)
    for name in names:
        if name.startswith("hp."):
            hp[name] = _hyper_parameter([e["hyper_parameters"].get(name[3:]) for e in experiments])
    annotated = "experiment_tags" in names
    types = {name: _type(name) for name in names if name not in hp}
    types.update((name, column[0]) for name, column in hp.items())
    chunks: dict[str, list[Any]] = {name: [] for name in names}
    for e_index, e in enumerate(experiments):
        head: dict[str, Any] = {
            "group": doc["group"],
            "experiment_id": e["id"],
            "identifier": e["identifier"],
        }
        head.update((name, column[1][e_index]) for name, column in hp.items())
        for t in e["trials"]:
            fields = {
                **head,
                "trial_id": t["id"],
                "trial_number": t["number"],
                "worker": t["worker"],
                "status": t["status"],
            }
            if annotated:
                fields["experiment_tags"] = ",".join(e.get("tags", ()))
                fields["experiment_note"] = e.get("note", "")
                fields["trial_tags"] = ",".join(t.get("tags", ()))
                fields["trial_note"] = t.get("note", "")
            for metric, s in t.get("series", {}).items():
                n = len(s["steps"])
                if len(s["values"]) != n or len(s["times"]) != n:
                    raise ValueError(f"trial {t['id']}, {metric}: columns of unequal length")
                fields["metric"] = metric
                for name, value in fields.items():
                    chunks[name].append(pa.repeat(pa.scalar(value, types[name]), n))
                chunks["step"].append(pa.array(s["steps"], pa.int64()))
                chunks["value"].append(pa.array(decode_values(s["values"]), pa.float64()))
                chunks["time"].append(pa.array(s["times"], pa.float64()))
    return pa.table({name: pa.chunked_array(chunks[name], types[name]) for name in names})


def _type(name: str) -> Any:
    import pyarrow as pa

    if name in _INTEGERS:
        return pa.int64()
    if name in ("value", "time"):
        return pa.float64()
    return pa.string()


def _hyper_parameter(values: list[Any]) -> tuple[Any, list[Any]]:
    """One hyper-parameter's type, from its values in each experiment (None where one
    lacks it), and those values in that type: JSON text when they mix, or when a type
    would not hold them exactly."""
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return pa.bool_(), values
    if kinds == {int} and all(v is None or -(2**63) <= v < 2**63 for v in values):
        return pa.int64(), values
    # Integers beside floats become floats only while that loses nothing.
    exact = all(type(v) is not int or abs(v) <= 2**53 for v in values)
    if float in kinds and kinds <= {int, float} and exact:
        return pa.float64(), [None if v is None else float(v) for v in values]
    if kinds == {str} or not kinds:
        return pa.string(), values
    return pa.string(), [None if v is None else json.dumps(v) for v in values]
