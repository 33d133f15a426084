"""Second-factor devices (TOTP, django-otp): enrolment by the operator or the seed, the TOTP step after the
password, and a signed-in person's replacement of their own device. Every change is in the audit trail."""

import base64
import time
from dataclasses import dataclass
from enum import Enum

import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record

DEVICE_NAME = "認証アプリ"
PENDING_NAME = "認証アプリ（登録中）"


class Outcome(Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"  # django-otp's own back-off after wrong codes (1, 2, 4 … seconds)
    REUSED = "reused"  # the right code of a time step already used: a code works once
    NO_DEVICE = "no_device"


@dataclass(frozen=True)
class Provisioning:
    """What an authenticator app needs: the otpauth:// URL (as a QR code) or the base32 secret typed by hand."""

    url: str
    secret: str
    qr_svg: str


def confirmed_device(staff) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).order_by("-pk").first()


def has_device(staff) -> bool:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


def enrol_totp(*, staff, actor=None, reason: str = "") -> TOTPDevice:
    """Give `staff` a new confirmed TOTP device, replacing any other (operator command, seed)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).delete()
        device = TOTPDevice.objects.create(user=staff, name=DEVICE_NAME, confirmed=True)
        record(actor=actor, institution=staff.institution, action="auth.otp_enrolled", target=staff,
               message=reason or "二要素認証の端末を登録")
    return device


def provisioning(device: TOTPDevice) -> Provisioning:
    url = device.config_url
    return Provisioning(
        url=url,
        secret=base64.b32encode(device.bin_key).decode("ascii").rstrip("="),
        qr_svg=segno.make(url, error="m").svg_inline(scale=4, title="二要素認証の登録用QRコード"),
    )


def current_code(device: TOTPDevice) -> tuple[str, int]:
    """The device's code now and the seconds it stays valid (for the demo command only)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    seconds_left = device.step - int(time.time() - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", seconds_left


def _clean(code: str) -> str:
    return "".join((code or "").split())[:16]


def verify_second_factor(*, request: HttpRequest, code: str) -> Outcome:
    """The TOTP step: on success the session is marked verified as django-otp does (django_otp.login)."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        return Outcome.NO_DEVICE
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        outcome = Outcome.THROTTLED
    elif device.verify_token(_clean(code)):  # also refuses a code already used (last_t) and counts failures
        request.session.cycle_key()  # a new session id once fully signed in
        otp_login(request, device)
        record(actor=user, action="auth.otp_verified", message="二要素認証を確認")
        return Outcome.VERIFIED
    elif _already_used(device, _clean(code)):
        outcome = Outcome.REUSED
    else:
        outcome = Outcome.WRONG
    message = "二要素認証の確認コードが使用済みです" if outcome is Outcome.REUSED else "二要素認証の確認コードが正しくありません"
    record(actor=user, action="auth.otp_failed", message=message)
    return outcome


def _already_used(device: TOTPDevice, code: str) -> bool:
    """The code is this device's for a time step that was already accepted (django-otp refuses it: last_t)."""
    if not code.isdigit():
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    # The same window verify_token looks in, without its "newer than the last accepted step" bound.
    return totp.verify(int(code), device.tolerance) and totp.t() <= device.last_t


def start_own_enrolment(*, staff) -> TOTPDevice:
    """A new, unconfirmed device for the signed-in person; it counts only once a code from it is typed."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff, confirmed=False).delete()
        return TOTPDevice.objects.create(user=staff, name=PENDING_NAME, confirmed=False)


def pending_device(staff) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-pk").first()


def confirm_own_enrolment(*, request: HttpRequest, code: str) -> bool:
    """The code from the new device replaces the old device; the session stays verified with the new one."""
    staff = request.user
    device = pending_device(staff)
    if device is None or not device.verify_token(_clean(code)):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = DEVICE_NAME
        device.save(update_fields=["confirmed", "name"])
        record(actor=staff, action="auth.otp_enrolled", target=staff, message="本人が二要素認証の端末を登録（交換）")
    otp_login(request, device)
    return True
