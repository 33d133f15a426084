from django.apps import AppConfig


class PortalSimConfig(AppConfig):
    name = "portal_sim"
    verbose_name = "マイナポータル（シミュレーション）"
