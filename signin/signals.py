"""The session clocks start at the password sign-in (django.contrib.auth.login, force_login included)."""

import time

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
