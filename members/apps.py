from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "個人・被保険者・副本"

    def ready(self):
        from members import catalogue_cache  # noqa: F401  (connects the signals that clear the catalogue cache)
