"""Metric series stored as chunks (issue 13, ``docs/storage.md``): the ``Chunk`` table,
filled from the points of ``Point`` series by series, in bounded memory (one chunk of
points and a few hundred rows to insert at a time). ``0006`` then drops ``Point``.

Reversible: going back decodes every chunk into ``Point`` rows again."""

import math

import django.db.models.deletion
from django.db import migrations, models

from kuro.server.tracking.chunks import (
    CHUNK_POINTS,
    chunk_columns,
    decode_points,
    points_of,
)

_INSERT_ROWS = 200  # chunks per INSERT
_READ_ROWS = 20_000  # points per fetch


def _points_to_chunks(apps, schema_editor):
    Point = apps.get_model("tracking", "Point")
    Chunk = apps.get_model("tracking", "Chunk")
    db = schema_editor.connection.alias
    rows = (
        Point.objects.using(db)
        .order_by("trial_id", "metric_id", "step")
        .values_list("trial_id", "metric_id", "step", "value", "time")
        .iterator(chunk_size=_READ_ROWS)
    )
    pending: list = []
    key = None
    steps: list[int] = []
    values: list[float] = []
    times: list[float] = []

    def flush_chunk() -> None:
        if steps:
            columns = chunk_columns(points_of(steps, values, times))
            pending.append(Chunk(trial_id=key[0], metric_id=key[1], **columns))
            steps.clear()
            values.clear()
            times.clear()
        if len(pending) >= _INSERT_ROWS:
            Chunk.objects.using(db).bulk_create(pending)
            pending.clear()

    for trial_id, metric_id, step, value, time in rows:
        if (trial_id, metric_id) != key or len(steps) >= CHUNK_POINTS:
            flush_chunk()
            key = (trial_id, metric_id)
        steps.append(step)
        values.append(math.nan if value is None else value)  # NULL was NaN
        times.append(time)
    flush_chunk()
    if pending:
        Chunk.objects.using(db).bulk_create(pending)


def _chunks_to_points(apps, schema_editor):
    Point = apps.get_model("tracking", "Point")
    Chunk = apps.get_model("tracking", "Chunk")
    db = schema_editor.connection.alias
    chunks = (
        Chunk.objects.using(db)
        .order_by("pk")
        .values_list("trial_id", "metric_id", "payload")
        .iterator(chunk_size=100)
    )
    for trial_id, metric_id, payload in chunks:
        points = decode_points(bytes(payload))
        Point.objects.using(db).bulk_create(
            Point(
                trial_id=trial_id,
                metric_id=metric_id,
                step=step,
                value=None if math.isnan(value) else value,
                time=time,
            )
            for step, value, time in zip(
                points.steps.tolist(), points.values.tolist(), points.times.tolist(), strict=True
            )
        )


def _external_storage(apps, schema_editor):
    """PostgreSQL: the blobs are compressed already, so TOAST stores them without trying
    to compress them again."""
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("tracking", "Chunk")._meta.db_table
        for column in ("blocks", "payload"):
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0004_trial_context"),
    ]

    operations = [
        migrations.CreateModel(
            name="Chunk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "trial",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="tracking.trial",
                    ),
                ),
                (
                    "metric",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="tracking.metric",
                    ),
                ),
                ("first_step", models.BigIntegerField()),
                ("last_step", models.BigIntegerField()),
                ("count", models.IntegerField()),
                ("first_time", models.FloatField()),
                ("min_step", models.BigIntegerField()),
                ("min_value", models.FloatField(null=True)),
                ("min_time", models.FloatField()),
                ("max_step", models.BigIntegerField()),
                ("max_value", models.FloatField(null=True)),
                ("max_time", models.FloatField()),
                ("last_value", models.FloatField(null=True)),
                ("blocks", models.BinaryField()),
                ("payload", models.BinaryField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("trial", "metric", "first_step"), name="chunk_unique_first_step"
                    )
                ],
            },
        ),
        migrations.RunPython(_external_storage, migrations.RunPython.noop),
        migrations.RunPython(_points_to_chunks, _chunks_to_points),
    ]
