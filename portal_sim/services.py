"""Cards, PINs and proxies of the simulated マイナポータル. Operator acts (suspend, reissue) are audited."""

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from members.models import Person
from portal_sim.models import MAX_PIN_ATTEMPTS, Card, Proxy


class SignInRefused(Exception):
    """Sign-in refused; `message` is safe to show: it never says whether another person exists."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _new_card_number() -> str:
    return "CARD-" + secrets.token_hex(6).upper()


def _validate_pin(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and len(pin) == 4):
        raise ValidationError({"pin": "暗証番号は数字4桁です。"})


def issue_card(*, person: Person, pin: str, card_number: str | None = None, actor=None) -> Card:
    """Issue a card with a 4-digit PIN (stored hashed). Any earlier usable card of the person stops working."""
    _validate_pin(pin)
    with transaction.atomic():
        now = timezone.now()
        Card.objects.filter(person=person, replaced_at__isnull=True).update(replaced_at=now)
        card = Card.objects.create(person=person, card_number=card_number or _new_card_number(), pin_hash=make_password(pin))
        record(actor=actor, action="card.issued", target=card, message=person.sim_id)
    return card


def sign_in(*, card_number: str, pin: str) -> Card:
    """Check a card and PIN. Three wrong PINs lock the card, as on the real card."""
    with transaction.atomic():
        card = Card.objects.select_for_update().filter(card_number=(card_number or "").strip()).first()
        if card is None:
            raise SignInRefused("カード識別子または暗証番号が正しくありません。", "bad_credentials")
        if card.replaced_at is not None or card.suspended_at is not None:
            raise SignInRefused("このカードは停止されているため利用できません。", "suspended")
        if card.locked_at is not None:
            raise SignInRefused(
                "暗証番号を3回続けて誤ったため、このカードはロックされています。市区町村の窓口で解除してください。", "locked"
            )
        if not check_password(pin or "", card.pin_hash):
            card.failed_attempts += 1
            if card.failed_attempts >= MAX_PIN_ATTEMPTS:
                card.locked_at = timezone.now()
            card.save(update_fields=["failed_attempts", "locked_at"])
            if card.locked_at:
                raise SignInRefused("暗証番号を3回続けて誤ったため、このカードはロックされました。", "locked")
            remaining = MAX_PIN_ATTEMPTS - card.failed_attempts
            raise SignInRefused(f"カード識別子または暗証番号が正しくありません（あと{remaining}回でロックされます）。", "bad_credentials")
        if card.failed_attempts:
            card.failed_attempts = 0
            card.save(update_fields=["failed_attempts"])
    return card


def suspend_card(*, card: Card, actor=None, reason: str = "") -> Card:
    """カード停止: the card can no longer sign in. Proxies named by its holder stay (as in the real portal)."""
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        if card.suspended_at is None:
            card.suspended_at = timezone.now()
            card.save(update_fields=["suspended_at"])
        record(actor=actor, action="card.suspended", target=card, message=reason)
    return card


def reissue_card(*, person: Person, pin: str, actor=None) -> Card:
    """再交付: a new card identifier and PIN; the old card stops working."""
    return issue_card(person=person, pin=pin, actor=actor)


def name_proxy(*, principal: Person, agent: Person) -> Proxy:
    if principal.pk == agent.pk:
        raise ValidationError("本人を代理人に設定することはできません。")
    with transaction.atomic():
        existing = Proxy.objects.filter(principal=principal, agent=agent, removed_at__isnull=True).first()
        if existing:
            return existing
        proxy = Proxy.objects.create(principal=principal, agent=agent)
        record(actor=None, action="proxy.named", target=proxy)
    return proxy


def remove_proxy(*, principal: Person, agent: Person) -> None:
    """Only the principal removes a proxy: callers pass the signed-in principal, never a person id from input."""
    with transaction.atomic():
        updated = Proxy.objects.filter(principal=principal, agent=agent, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
        if not updated:
            raise ValidationError("この代理人設定はありません。")
        record(actor=None, action="proxy.removed", target=principal)


def principals_of(agent: Person) -> list[Person]:
    """People who named `agent` as their proxy and have not removed it."""
    return [p.principal for p in Proxy.objects.filter(agent=agent, removed_at__isnull=True).select_related("principal")]
