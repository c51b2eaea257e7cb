"""The Django admin for the telemetry models."""

from __future__ import annotations

from django.contrib import admin

from kuro.server.telemetry.models import OutputChunk, OutputLog, SystemSample


@admin.register(OutputLog)
class OutputLogAdmin(admin.ModelAdmin):
    list_display = ["trial", "head_chars", "tail_chars", "cut_chars", "updated_at"]
    raw_id_fields = ["trial"]
    readonly_fields = ["updated_at"]


@admin.register(OutputChunk)
class OutputChunkAdmin(admin.ModelAdmin):
    list_display = ["id", "trial", "head", "time"]
    list_filter = ["head"]
    raw_id_fields = ["trial"]


@admin.register(SystemSample)
class SystemSampleAdmin(admin.ModelAdmin):
    list_display = ["id", "trial", "time"]
    raw_id_fields = ["trial"]
