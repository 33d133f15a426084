"""Second factor for the demo accounts: seed_demo gives each account that needs one a device marked as a demo
device, and `manage.py demo_otp <username>` prints its current code (only for such devices)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from institutions.models import Staff
from signin.policy import needs_second_factor
from signin.services import current_code, enrol_totp

DEMO_DEVICE_NAME = "デモ用認証アプリ"


def enrol_demo_devices() -> list[str]:
    """Usernames given a demo TOTP device (責任者, 監査者, the operator)."""
    names = []
    for staff in Staff.objects.order_by("pk"):
        if needs_second_factor(staff):
            device = enrol_totp(staff=staff, reason="デモデータ: 二要素認証の端末（デモ用）")
            device.name = DEMO_DEVICE_NAME
            device.save(update_fields=["name"])
            names.append(staff.username)
    return names


def demo_code(username: str) -> tuple[str, int] | None:
    """The current code of a demo device, or None: a device a person enrolled themselves is never printed."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True, name=DEMO_DEVICE_NAME).first()
    return current_code(device) if device else None
