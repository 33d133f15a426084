from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "サインイン（二要素認証・ロックアウト・セッション）"

    def ready(self) -> None:
        from django.contrib import admin

        from signin import signals  # noqa: F401  (starts the session clocks at sign-in)
        from signin.admin_site import SecondFactorAdminSite

        # The operator's /ops-admin/ answers only a session that passed the TOTP step (issue 9 ⑥). The class is
        # swapped rather than a new site built, so every ModelAdmin registered on admin.site stays where it is.
        admin.site.__class__ = SecondFactorAdminSite
        # Devices are enrolled through signin.services (audited), never edited as rows in the admin.
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if admin.site.is_registered(TOTPDevice):
            admin.site.unregister(TOTPDevice)
