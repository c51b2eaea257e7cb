"""The Django admin for tags and notes."""

from __future__ import annotations

from django.contrib import admin

from kuro.server.annotations.models import ExperimentNote, ExperimentTag, TrialNote, TrialTag


@admin.register(ExperimentTag)
class ExperimentTagAdmin(admin.ModelAdmin):
    list_display = ["name", "experiment", "created_at"]
    search_fields = ["name", "experiment__identifier", "experiment__group__name"]
    raw_id_fields = ["experiment"]


@admin.register(TrialTag)
class TrialTagAdmin(admin.ModelAdmin):
    list_display = ["name", "trial", "created_at"]
    search_fields = ["name", "trial__experiment__identifier"]
    raw_id_fields = ["trial"]


@admin.register(ExperimentNote)
class ExperimentNoteAdmin(admin.ModelAdmin):
    list_display = ["experiment", "updated_at"]
    search_fields = ["text", "experiment__identifier"]
    raw_id_fields = ["experiment"]


@admin.register(TrialNote)
class TrialNoteAdmin(admin.ModelAdmin):
    list_display = ["trial", "updated_at"]
    search_fields = ["text"]
    raw_id_fields = ["trial"]
