from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "個人・被保険者・副本"
