from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "職員コンソール"

    def ready(self) -> None:
        from console import signals  # noqa: F401  (connects the audit receivers)
