"""The session clocks start at the password sign-in (django.contrib.auth.login, force_login included); a lockout
is written to the audit trail."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

AUTH_AT = "signin.auth_at"  # epoch seconds of the password sign-in
SEEN_AT = "signin.seen_at"  # epoch seconds of the last request


@receiver(user_logged_in, dispatch_uid="signin.start_session_clocks")
def start_session_clocks(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[AUTH_AT] = now
        request.session[SEEN_AT] = now


@receiver(user_locked_out, dispatch_uid="signin.audit_locked_out")
def audit_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """A lockout (and every attempt while locked) reaches the account's insurer's auditors, with the address."""
    from audit.services import record
    from institutions.models import Staff

    name = str(username or "")[:150]
    account = Staff.objects.filter(username=name).select_related("institution").first() if name else None
    record(actor=None, institution=account.institution if account else None, action="auth.locked_out",
           message=f"ユーザー名「{name}」のログインを停止中（パスワードの連続誤り、接続元 {ip_address or '不明'}）")
