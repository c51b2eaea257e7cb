"""The Django admin for every tracking model."""

from __future__ import annotations

from django.contrib import admin

from kuro.server.tracking.models import (
    Chunk,
    Experiment,
    Group,
    IngestBatch,
    Metric,
    PackageSet,
    Summary,
    Trial,
    Worker,
)


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "cpu", "memory_gib", "platform", "last_seen_at", "active"]
    list_filter = ["active", "platform"]
    search_fields = ["name", "hostname", "cpu"]
    readonly_fields = ["created_at", "last_seen_at"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "mode", "created_at"]
    list_filter = ["mode", "group"]
    search_fields = ["name", "group__name"]
    list_select_related = ["group"]


class TrialInline(admin.TabularInline):
    model = Trial
    extra = 0
    fields = ["number", "attempt", "worker", "status", "started_at", "ended_at", "heartbeat_at"]
    readonly_fields = ["started_at"]
    raw_id_fields = ["worker"]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["id", "identifier", "group", "hyper_parameters", "n_trials", "created_at"]
    list_filter = ["group"]
    search_fields = ["identifier", "group__name"]
    list_select_related = ["group"]
    filter_horizontal = ["metrics"]
    readonly_fields = ["hyper_parameters_key", "created_at"]
    inlines = [TrialInline]


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "experiment",
        "number",
        "attempt",
        "worker",
        "status",
        "started_at",
        "ended_at",
        "lease_expires_at",
    ]
    list_filter = ["status", "extra", "experiment__group"]
    search_fields = ["experiment__identifier", "worker__name", "error"]
    list_select_related = ["experiment", "worker"]
    raw_id_fields = ["experiment", "worker", "package_set"]
    readonly_fields = ["started_at"]


@admin.register(PackageSet)
class PackageSetAdmin(admin.ModelAdmin):
    list_display = ["key", "created_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "packages", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Chunks of series, to look at (the points are read through the history API)."""

    list_display = ["trial", "metric", "first_step", "last_step", "count", "stored_bytes"]
    list_filter = ["metric__group"]
    search_fields = ["metric__name"]
    list_select_related = ["trial", "metric"]
    raw_id_fields = ["trial", "metric"]
    exclude = ["blocks", "payload"]
    # Chunk tables hold many rows: never count them for the paginator.
    show_full_result_count = False

    @admin.display(description="bytes")
    def stored_bytes(self, obj: Chunk) -> int:
        return len(obj.payload) + len(obj.blocks)

    # Chunks change only through the write path, which keeps the summaries true.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["trial", "metric", "count", "min_value", "max_value", "last_step", "last_value"]
    list_select_related = ["trial", "metric"]
    raw_id_fields = ["trial", "metric"]
    search_fields = ["metric__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    list_display = ["batch_id", "n_points", "received_at"]
    search_fields = ["batch_id"]
