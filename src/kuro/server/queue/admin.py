"""The Django admin for sweeps and their configurations."""

from __future__ import annotations

from django.contrib import admin

from kuro.server.queue.models import Sweep, SweepConfig


class SweepConfigInline(admin.TabularInline):
    model = SweepConfig
    extra = 0
    fields = ["number", "experiment", "params", "state", "value", "finished_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "group",
        "identifier",
        "objective",
        "sampler",
        "pruner",
        "max_configs",
        "n_trials",
        "status",
        "created_at",
    ]
    list_filter = ["status", "sampler", "pruner", "group"]
    search_fields = ["name", "identifier", "group__name"]
    list_select_related = ["group", "objective"]
    inlines = [SweepConfigInline]


@admin.register(SweepConfig)
class SweepConfigAdmin(admin.ModelAdmin):
    list_display = ["sweep", "number", "experiment", "state", "value", "created_at"]
    list_filter = ["state", "sweep"]
    raw_id_fields = ["sweep", "experiment"]
