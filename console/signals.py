"""Sign-in, failed sign-in and sign-out go to the audit trail (Django's auth signals are the only hook)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import record
from institutions.models import Staff


@receiver(user_logged_in, dispatch_uid="console.audit_login")
def audit_login(sender, request, user, **kwargs):
    record(actor=user, action="auth.login", message="職員コンソールにログイン")


@receiver(user_logged_out, dispatch_uid="console.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action="auth.logout", message="ログアウト")


@receiver(user_login_failed, dispatch_uid="console.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    """The attempted name is kept; if it is a staff account, its insurer's auditors see the attempt."""
    username = str((credentials or {}).get("username", ""))[:150]
    account = Staff.objects.filter(username=username).select_related("institution").first() if username else None
    record(
        actor=None,
        institution=account.institution if account else None,
        action="auth.login_failed",
        message=f"ユーザー名「{username}」でのログインに失敗",
    )
