from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kuro.server.accounts"
    label = "accounts"
    verbose_name = "Kuro tokens"
    default_auto_field = "django.db.models.BigAutoField"
