"""django-rest-knox under a Japanese name in the operator's admin (「APIトークン」 instead of 「KNOX / Auth tokens」).

Only the app's and the model's display names change; the table, its migrations and its fields stay knox's own.
"""

from django.apps import AppConfig


class KnoxConfig(AppConfig):
    name = "knox"
    label = "knox"
    verbose_name = "APIトークン"

    def ready(self) -> None:
        from knox.models import AuthToken

        # _meta.verbose_name, not Meta: migrations read the original Meta, so no knox migration is needed.
        AuthToken._meta.verbose_name = "APIトークン"
        AuthToken._meta.verbose_name_plural = "APIトークン"
