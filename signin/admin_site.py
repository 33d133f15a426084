"""The admin site of the operator (運用者): the password form of Django's admin, then the console's TOTP step."""

from django_otp.admin import OTPAdminSite


class SecondFactorAdminSite(OTPAdminSite):
    """has_permission() also needs request.user.is_verified() (django-otp).

    django-otp's own admin login form asks for the device and code on the password page, in English. Here the
    password page stays Django's, and signin.middleware sends the signed-in but unverified operator to the
    Japanese TOTP step (/login/otp/) before any admin page.
    """

    login_form = None
    login_template = None
