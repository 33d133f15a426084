"""Reads of the simulated マイナポータル.

The rules of what a person sees are not here: 自己情報 comes from exchanges.selectors.self_information and
やりとり履歴 from exchanges.selectors.portal_history. This module only decides *whose* portal a signed-in card
may show (the holder's, or a principal who named the holder as 代理人) and shapes rows for the templates.
"""

import datetime
import re
import uuid
from dataclasses import dataclass, field

from django.core import signing

from exchanges import selectors as exchange_selectors
from exchanges.models import ExchangeRecord, ExchangeState
from flags import selectors as flag_selectors
from flags.models import CaseLinkedPerson, ProtectionCase
from members.models import Person
from nakama.wareki import format_wareki
from portal_sim.models import Card, Proxy


@dataclass(frozen=True)
class PortalViewer:
    """Who is signed in (the card's holder) and whose portal is shown (the holder's, or a principal's)."""

    card: Card
    holder: Person
    subject: Person

    @property
    def acting_as_proxy(self) -> bool:
        return self.subject.pk != self.holder.pk


def usable_card(card_id: int | None) -> Card | None:
    """The signed-in card, if it may still be used: a card suspended, locked or replaced mid-session stops at once."""
    if not card_id:
        return None
    card = Card.objects.select_related("person").filter(pk=card_id).first()
    if card is None or not card.usable:
        return None
    return card


_MAX_ID = 2**63 - 1  # bigint: a larger id from the URL cannot exist (and SQLite would overflow)


def _bounded_id(value) -> int | None:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= _MAX_ID else None


def principal_for(*, agent: Person, person_id) -> Person | None:
    """The principal `person_id` if they named `agent` as proxy and have not removed it; otherwise None.

    The id comes from the URL or the session: it is only ever a key into the agent's own proxies, so an id of
    someone who did not name the agent finds nothing, exactly like an id that does not exist.
    """
    person_id = _bounded_id(person_id)
    if person_id is None:
        return None
    proxy = (
        Proxy.objects.select_related("principal")
        .filter(agent=agent, principal_id=person_id, removed_at__isnull=True)
        .first()
    )
    return proxy.principal if proxy else None


def person_by_sim_id(sim_id: str) -> Person | None:
    """A person by the identifier typed in exactly (to name a proxy); there is no list or search of persons."""
    return Person.objects.filter(sim_id=(sim_id or "").strip().upper()).first()


def active_proxies(principal: Person) -> list[Proxy]:
    """The proxies a principal has named (shown only to that principal)."""
    rows = Proxy.objects.filter(principal=principal, removed_at__isnull=True).select_related("agent").order_by("id")
    return list(rows)


def active_principals(agent: Person) -> list[Person]:
    """The people who named `agent` as proxy (the only ones the agent may switch to)."""
    return [
        p.principal
        for p in Proxy.objects.filter(agent=agent, removed_at__isnull=True).select_related("principal").order_by("id")
    ]


# ---- あなたの情報 (自己情報) --------------------------------------------------------------------------------

# Fixed display order of the 医療保険 副本 fields: JSON key order differs between SQLite and PostgreSQL (jsonb).
FIELD_ORDER = ("保険者名称", "保険者番号", "記号・番号", "資格取得日", "資格喪失日")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _display_value(value) -> str:
    if value is None or value == "":
        return "登録なし"
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            d = datetime.date.fromisoformat(value)
        except ValueError:
            return value
        return format_wareki(d)  # the portal writes 和暦 (令和8年11月27日)
    return str(value)


@dataclass(frozen=True)
class SelfInfoEntry:
    item_name: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class SelfInfoSection:
    name: str
    entries: list[SelfInfoEntry] = field(default_factory=list)


def self_info_sections(*, person: Person, only_institution_id: int | None = None) -> list[SelfInfoSection]:
    """自己情報 as shown: every section always present; an empty one renders 「回答なし」 by the same template path.

    Exactly the queries of exchanges.selectors.self_information (two), whatever the person has or is hidden.
    `only_institution_id` is for the staff preview: an insurer's staff never see another insurer's data (SPEC).
    """
    sections = []
    for name, rows in exchange_selectors.self_information(person=person).items():
        entries = []
        for row in rows:
            if only_institution_id is not None and row.institution_id != only_institution_id:
                continue
            known = [(k, _display_value(row.content.get(k))) for k in FIELD_ORDER if k in row.content]
            extra = [(k, _display_value(v)) for k, v in sorted(row.content.items()) if k not in FIELD_ORDER]
            entries.append(SelfInfoEntry(item_name=row.item_name, fields=known + extra))
        sections.append(SelfInfoSection(name=name, entries=entries))
    return sections


@dataclass(frozen=True)
class HistoryPage:
    """One page of やりとり履歴 as the template shows it: records and an opaque link token to older ones."""

    records: list[ExchangeRecord]
    next_cursor: str  # empty on the last page


_CURSOR_SALT = "portal_sim.history"


def history(*, person: Person, only_institution_id: int | None = None, cursor: str = "") -> HistoryPage:
    """やりとり履歴: a keyset page of exchanges.selectors.portal_history_page (rule 3); shaped by the template,
    without ids. The cursor is signed, so it reads as an opaque token and cannot be forged to point elsewhere.

    `only_institution_id` is for the staff preview: the records in which that insurer took part, and no others.
    """
    page = exchange_selectors.portal_history_page(
        person=person, before=_read_cursor(cursor), institution_id=only_institution_id
    )
    next_cursor = ""
    if page.next_position is not None:
        at, record_id = page.next_position
        next_cursor = signing.dumps([at.isoformat(), str(record_id)], salt=_CURSOR_SALT)
    return HistoryPage(page.records, next_cursor)


def _read_cursor(cursor: str):
    """A signed cursor from the URL; anything else starts from the newest records."""
    if not cursor:
        return None
    try:
        at, record_id = signing.loads(cursor, salt=_CURSOR_SALT)
        return datetime.datetime.fromisoformat(at), uuid.UUID(record_id)
    except (signing.BadSignature, ValueError, TypeError):
        return None


# ---- カード停止等手続 (for the console's case checklist) ----------------------------------------------------

CARD_STATE_LABELS = {
    "usable": "利用可",
    "suspended": "停止",
    "locked": "ロック中",
    "replaced": "再交付により失効",
}


@dataclass(frozen=True)
class CardInfo:
    masked_number: str  # staff need the state, not the identifier
    state: str  # one of CARD_STATE_LABELS
    issued_at: datetime.datetime
    suspended_at: datetime.datetime | None

    @property
    def state_label(self) -> str:
        return CARD_STATE_LABELS[self.state]


@dataclass(frozen=True)
class ProxyInfo:
    agent_name: str
    since: datetime.datetime


@dataclass(frozen=True)
class CardStatus:
    """Cards and active proxies of a person, for the protection case checklist (カード停止等手続)."""

    cards: list[CardInfo]
    proxies: list[ProxyInfo]

    @property
    def has_card(self) -> bool:
        return bool(self.cards)

    @property
    def usable_card(self) -> bool:
        return any(c.state == "usable" for c in self.cards)

    @property
    def suspended(self) -> bool:
        """Some card of the person was suspended (カード停止 done)."""
        return any(c.suspended_at is not None for c in self.cards)

    @property
    def has_active_proxy(self) -> bool:
        return bool(self.proxies)


def _card_state(card: Card) -> str:
    if card.replaced_at is not None:
        return "replaced"
    if card.suspended_at is not None:
        return "suspended"
    if card.locked_at is not None:
        return "locked"
    return "usable"


def _mask(card_number: str) -> str:
    return "＊＊＊＊" + card_number[-4:]


def card_status(person: Person) -> CardStatus:
    """Cards (newest first) with their state, and the proxies the person has named and not removed.

    Card suspension does not remove proxies (as in the real portal): both must be checked on the case.
    """
    cards = [
        CardInfo(masked_number=_mask(c.card_number), state=_card_state(c), issued_at=c.issued_at,
                 suspended_at=c.suspended_at)
        for c in Card.objects.filter(person=person).order_by("-issued_at", "-id")
    ]
    proxies = [ProxyInfo(agent_name=p.agent.name, since=p.created_at) for p in active_proxies(person)]
    return CardStatus(cards=cards, proxies=proxies)


# ---- staff preview ---------------------------------------------------------------------------------------


def case_for_preview(*, user, case_pk) -> ProtectionCase | None:
    """A protection case of the staff member's own insurer (any role); None for anyone else (the view 404s)."""
    case_pk = _bounded_id(case_pk)
    if case_pk is None or not getattr(user, "is_insurer_staff", False):
        return None
    return (
        ProtectionCase.objects.visible_to(user)
        .select_related("institution", "member__person")
        .filter(pk=case_pk)
        .first()
    )


@dataclass(frozen=True)
class PreviewRecord:
    """One record of the abuser's やりとり履歴 in which the staff member's insurer took part."""

    record: ExchangeRecord
    shown: bool
    reason: str  # why hidden, in Japanese; empty when shown


def _hidden_reason(record: ExchangeRecord) -> str:
    reasons = []
    if record.state != ExchangeState.PROVIDED:
        reasons.append(f"未完了（{record.get_state_display()}）")
    if record.inquiry_code:
        reasons.append("照会時の不開示コード")
    if record.provision_code:
        reasons.append("提供時の不開示コード")
    if record.appended_nondisclosure_at is not None:
        reasons.append("追記依頼（不開示）")
    return "、".join(reasons)


@dataclass(frozen=True)
class LinkedPreview:
    """One 要注意照会対象者 of the case and his own やりとり履歴 as far as the staff member's insurer took part."""

    link: CaseLinkedPerson
    records: list[PreviewRecord]


def linked_records_for_preview(*, user, case: ProtectionCase) -> list[LinkedPreview]:
    """For each person linked to the case (in force), his records in which the user's insurer is inquirer or
    provider, each marked shown or hidden.

    Starts from ExchangeRecord.objects.visible_to(user): other institutions' records about him never reach the
    page. Shown or hidden is exchanges.selectors.is_shown_in_portal, the rule the portal applies.
    """
    links = [link for link in flag_selectors.links_of(user, case) if link.is_in_force]
    result = []
    for link in links:
        rows = (
            ExchangeRecord.objects.visible_to(user)
            .filter(subject_id=link.person_id)
            .select_related("procedure", "item")
            .order_by("-inquired_at", "-id")
        )
        previews = []
        for r in rows:
            shown = exchange_selectors.is_shown_in_portal(r)
            previews.append(PreviewRecord(record=r, shown=shown, reason="" if shown else _hidden_reason(r)))
        result.append(LinkedPreview(link=link, records=previews))
    return result
