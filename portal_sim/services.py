"""Cards, PINs and proxies of the simulated マイナポータル, and the audited staff preview.

Operator acts (issue, suspend, reissue) and the person's own acts (naming / removing a proxy) are audited.
"""

import secrets
from functools import lru_cache

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record
from flags.models import ProtectionCase
from members.models import Person
from portal_sim.models import MAX_PIN_ATTEMPTS, Card, Proxy

# One message for an unknown card, a wrong PIN and a stopped or locked card (until its correct PIN is given),
# so the form does not confirm which card numbers exist.
BAD_CREDENTIALS = "カード識別子または暗証番号が正しくありません。"
# One message for a suspended and a replaced card: the holder of an old card learns no more than "it stopped".
CARD_STOPPED = "このカードは利用が停止されているため、ログインできません。"
_UNLOCK = "市区町村の窓口でロックの解除を申請してください。"
CARD_LOCKED = "暗証番号を3回続けて誤ったため、このカードはロックされています。" + _UNLOCK


class SignInRefused(Exception):
    """Sign-in refused; `message` is safe to show: it never says whether another person exists."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _new_card_number() -> str:
    return "CARD-" + secrets.token_hex(6).upper()


def new_pin() -> str:
    """A random 4-digit PIN for a new or reissued card (shown once to the operator, stored only hashed)."""
    return f"{secrets.randbelow(10_000):04d}"


def _validate_pin(pin: str) -> None:
    if not (isinstance(pin, str) and pin.isascii() and pin.isdigit() and len(pin) == 4):
        raise ValidationError({"pin": "暗証番号は数字4桁です。"})


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return make_password("nakama-no-such-card")


def issue_card(*, person: Person, pin: str, card_number: str | None = None, actor=None) -> Card:
    """Issue a card with a 4-digit PIN (stored hashed). Every earlier card of the person stops working."""
    _validate_pin(pin)
    card_number = (card_number or _new_card_number()).strip().upper()
    with transaction.atomic():
        now = timezone.now()
        Card.objects.filter(person=person, replaced_at__isnull=True).update(replaced_at=now)
        card = Card(person=person, card_number=card_number, pin_hash=make_password(pin))
        card.full_clean(exclude=["person"])
        try:
            with transaction.atomic():
                card.save()
        except IntegrityError:
            raise ValidationError({"card_number": "このカード識別子はすでに使われています。"}) from None
        record(actor=actor, action="card.issued", target=card, message=person.sim_id)
    return card


def sign_in(*, card_number: str, pin: str) -> Card:
    """Check a card and PIN. Three wrong PINs in a row lock the card, as on the real card.

    Until a correct PIN is given, every refusal is BAD_CREDENTIALS: an unknown card, a wrong PIN, a suspended,
    replaced or locked card, and the third wrong PIN that locks it. Anything else (「あと2回」, 「停止」 before the
    PIN) would tell a stranger typing card numbers that the card exists. Only the holder's correct PIN learns
    that the card stopped or locked. The failed attempt is committed before the refusal is raised: raising inside
    the transaction would roll the counter back and the card would never lock.
    """
    refusal: SignInRefused | None = None
    with transaction.atomic():
        card = Card.objects.select_for_update().filter(card_number=(card_number or "").strip().upper()).first()
        if card is None:
            check_password(pin or "", _dummy_hash())  # the same work as for a real card: timing tells nothing
            raise SignInRefused(BAD_CREDENTIALS, "bad_credentials")
        if not check_password(pin or "", card.pin_hash):
            if card.locked_at is None and card.replaced_at is None and card.suspended_at is None:
                card.failed_attempts += 1
                if card.failed_attempts >= MAX_PIN_ATTEMPTS:
                    card.locked_at = timezone.now()
                    record(actor=None, action="card.locked", target=card, message="暗証番号の連続誤り")
                card.save(update_fields=["failed_attempts", "locked_at"])
            refusal = SignInRefused(BAD_CREDENTIALS, "bad_credentials")
        elif card.replaced_at is not None or card.suspended_at is not None:
            refusal = SignInRefused(CARD_STOPPED, "suspended")
        elif card.locked_at is not None:
            refusal = SignInRefused(CARD_LOCKED, "locked")
        elif card.failed_attempts:
            card.failed_attempts = 0
            card.save(update_fields=["failed_attempts"])
    if refusal is not None:
        raise refusal
    return card


def suspend_card(*, card: Card, actor=None, reason: str = "") -> Card:
    """カード停止: the card can no longer sign in. Proxies named by its holder stay (as in the real portal)."""
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card.pk)
        already = card.suspended_at is not None
        if not already:
            card.suspended_at = timezone.now()
            card.save(update_fields=["suspended_at"])
        record(
            actor=actor, action="card.suspended", target=card, message=reason or ("停止済み" if already else "")
        )
    return card


def reissue_card(*, person: Person, pin: str | None = None, actor=None) -> Card:
    """再交付: a new card identifier and PIN; every old card of the person stops working."""
    return issue_card(person=person, pin=pin if pin is not None else new_pin(), actor=actor)


def name_proxy(*, principal: Person, agent: Person) -> Proxy:
    """The signed-in principal names `agent` as 代理人. Callers pass the signed-in person, never one from input."""
    if principal.pk == agent.pk:
        raise ValidationError("ご本人を代理人に設定することはできません。")
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
        proxy = (
            Proxy.objects.select_for_update()
            .select_related("principal", "agent")
            .filter(principal=principal, agent=agent, removed_at__isnull=True)
            .first()
        )
        if proxy is None:
            raise ValidationError("この代理人設定はありません。")
        proxy.removed_at = timezone.now()
        proxy.save(update_fields=["removed_at"])
        record(actor=None, action="proxy.removed", target=proxy)


def principals_of(agent: Person) -> list[Person]:
    """People who named `agent` as their proxy and have not removed it."""
    return [
        p.principal
        for p in Proxy.objects.filter(agent=agent, removed_at__isnull=True).select_related("principal").order_by("id")
    ]


def record_staff_preview(*, actor, case: ProtectionCase) -> AuditEntry:
    """Staff looked at what a protected person's card holder or proxy sees (SPEC rule 10: views are audited)."""
    return record(
        actor=actor,
        institution=case.institution,
        action="portal.preview",
        target=case,
        message="マイナポータル表示の確認（カード所持者・代理人に見える内容、加害者のやりとり履歴）",
    )
