"""The rules of the four settings (別紙1), as pure functions: plain values in, decisions out. No ORM here.

Every path that sends, answers or shows an exchange asks this module:
- 不開示該当フラグ (NON_DISCLOSURE): provision and inquiry get 不開示コード automatically; record hidden.
- 自己情報提供不可フラグ (NO_SELF_INFO): マイナポータル 自己情報 shows 「回答なし」 for the covered items.
- 自動応答不可フラグ (NO_AUTO_RESPONSE): no automatic answer; staff check, correct and approve or decline.
- 不開示コード (on one exchange): the record is not shown in やりとり履歴.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class SettingKind(StrEnum):
    NON_DISCLOSURE = "non_disclosure"  # 不開示該当フラグ
    NO_SELF_INFO = "no_self_info"  # 自己情報提供不可フラグ
    NO_AUTO_RESPONSE = "no_auto_response"  # 自動応答不可フラグ


SETTING_LABELS = {
    SettingKind.NON_DISCLOSURE: "不開示該当フラグ",
    SettingKind.NO_SELF_INFO: "自己情報提供不可フラグ",
    SettingKind.NO_AUTO_RESPONSE: "自動応答不可フラグ",
}

# Plain-Japanese effect of each setting, shown beside it in the console (the 別紙1 table).
SETTING_EFFECTS = {
    SettingKind.NON_DISCLOSURE: {
        "answer": "自動で情報提供します。提供時・照会時に不開示コードが自動で付きます。",
        "self_info": "影響しません。",
        "history": "やりとり履歴に表示されません。",
    },
    SettingKind.NO_SELF_INFO: {
        "answer": "自動で情報提供します。",
        "self_info": "対象の情報は表示されず「回答なし」になります。",
        "history": "影響しません。",
    },
    SettingKind.NO_AUTO_RESPONSE: {
        "answer": "自動応答しません。職員が情報提供内容入力画面で確認・修正し、送信許可または提供しないを選びます。",
        "self_info": "影響しません。",
        "history": "未応答の間は表示されません。応答後は、不開示コードを付けない限り表示されます。",
    },
}

# Server names, equal to institutions.models.Server values.
SERVER_INSURERS = "insurers"  # 医療保険者等向け中間サーバー
SERVER_MUNICIPAL = "municipal"  # 自治体中間サーバー


class CodeSource(StrEnum):
    NONE = ""
    AUTO = "auto"  # 自動設定
    MANUAL = "manual"  # 手動設定
    AT_COMPLETION = "completion"  # 完了時自動設定: the inquirer's flag was set while the inquiry waited (別紙1 ※2)
    LINKED = "linked"  # 要注意照会対象: the subject is a linked person of an open case of the inquirer


@dataclass(frozen=True)
class ActiveSetting:
    """A setting in force on one member (or a municipality's resident). item_code None: the whole member."""

    kind: SettingKind
    item_code: str | None = None


def applies(settings: Iterable[ActiveSetting], kind: SettingKind, item_code: str) -> bool:
    """A setting applies to an item when it covers the whole member (被保険者枝番単位) or that item (特定個人情報単位)."""
    return any(s.kind == kind and (s.item_code is None or s.item_code == item_code) for s in settings)


def provision_gets_code(settings: Iterable[ActiveSetting], item_code: str) -> bool:
    """別紙1 ①: the provider attaches 不開示コード automatically. Both servers do this (別添 ① 1/4, 2/4)."""
    return applies(settings, SettingKind.NON_DISCLOSURE, item_code)


def answers_automatically(settings: Iterable[ActiveSetting], item_code: str) -> bool:
    """別紙1 ③: with 自動応答不可 the inquiry waits for a manual response (△); otherwise it is answered (○)."""
    return not applies(settings, SettingKind.NO_AUTO_RESPONSE, item_code)


def self_info_allowed(settings: Iterable[ActiveSetting], item_code: str) -> bool:
    """別紙1 ②, ※3: 自己情報提供不可 → マイナポータル shows 「回答なし」 for the item."""
    return not applies(settings, SettingKind.NO_SELF_INFO, item_code)


def inquiry_code_at_send(
    settings: Iterable[ActiveSetting], item_code: str, *, server: str, linked: bool, requested: bool
) -> CodeSource:
    """The inquiry-side 不開示コード when our insurer sends an inquiry.

    Renewal ① (the subject's 不開示該当フラグ) first; then 要注意照会対象: a person linked to an open case of the
    inquirer (the abuser and others, our extension of 別紙2 §3 ② and §4) gets it on every inquiry whatever the
    caller asked; otherwise only a hand-set code (case ②, by staff).
    """
    if inquiry_gets_code(settings, item_code, server=server):
        return CodeSource.AUTO
    if linked:
        return CodeSource.LINKED
    return CodeSource.MANUAL if requested else CodeSource.NONE


@dataclass(frozen=True)
class CompletionCodes:
    """The 不開示コード each side of an exchange carries once it completes, and where each came from."""

    inquiry: CodeSource
    provision: CodeSource


def codes_at_completion(
    *,
    inquirer_settings: Iterable[ActiveSetting],
    provider_settings: Iterable[ActiveSetting],
    item_code: str,
    inquirer_server: str,
    linked_for_inquirer: bool,
    inquiry_code: CodeSource,
    provision_requested: bool = False,
) -> CompletionCodes:
    """別紙1 ※2: 「どちらか一方が設定された状態で情報提供が完了すると…閲覧できなくなる」.

    At the moment an exchange completes (automatic answer, 送信許可 of a manual response) both institutions'
    settings on the subject are read again. A code already on the inquiry is never taken away. The inquirer's
    不開示該当 in force now, not yet coded at sending, codes the inquiry "at completion" — by its own server's rule,
    so a municipality's inquiry stays uncoded (別添 ① 2/4); a person linked since then codes it as linked. The
    provider's side follows approval_code (不開示該当 forces it; otherwise staff may attach it).
    """
    inquiry = CodeSource(inquiry_code)
    if inquiry == CodeSource.NONE:
        if inquiry_gets_code(inquirer_settings, item_code, server=inquirer_server):
            inquiry = CodeSource.AT_COMPLETION
        elif linked_for_inquirer:
            inquiry = CodeSource.LINKED
    provision = approval_code(provider_settings, item_code, requested=provision_requested)
    return CompletionCodes(inquiry=inquiry, provision=provision)


def inquiry_gets_code(settings: Iterable[ActiveSetting], item_code: str, *, server: str) -> bool:
    """Renewal ①: an insurer's inquiry about its own flagged member carries 不開示コード automatically.

    The 自治体中間サーバー does not do this on inquiries (別添 ① 2/4), only on provisions.
    """
    if server != SERVER_INSURERS:
        return False
    return applies(settings, SettingKind.NON_DISCLOSURE, item_code)


def approval_code(settings: Iterable[ActiveSetting], item_code: str, *, requested: bool) -> CodeSource:
    """At the approval of a manual response the rules are checked again (別紙1 ※2): 不開示該当 in force at that
    moment forces the code; otherwise staff may attach it by hand."""
    if provision_gets_code(settings, item_code):
        return CodeSource.AUTO
    return CodeSource.MANUAL if requested else CodeSource.NONE


def shown_in_history(*, complete: bool, inquiry_code: bool, provision_code: bool, appended: bool) -> bool:
    """Rule 3 / 別紙1 ※1 ※2: shown only when complete, no 不開示コード on either side, and no 追記依頼 applied."""
    return complete and not inquiry_code and not provision_code and not appended


# 別紙2 §3 ① (case ①: the card is with the abuser or he is her proxy): 不開示該当 and 自己情報提供不可 stay in force
# until カード停止等手続 is confirmed complete. The dates a case records, as plain values.
@dataclass(frozen=True)
class CardProcedures:
    card_suspension_confirmed_on: object = None  # datetime.date | None
    proxy_cancel_confirmed_on: object = None
    number_change_advised_on: object = None  # a new number / reissue is needed only where it was advised
    number_change_confirmed_on: object = None
    # 「対象外」: only the proxy was the threat (her card was never with him); recorded with a reason on the case.
    card_suspension_not_applicable: bool = False


CARD_PROCEDURE_KINDS = frozenset({SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO})


def clearing_waits_for_card_procedures(kind: SettingKind | str, *, case_card_or_proxy: bool) -> bool:
    """別紙2 §3 ①: 「カード停止等手続が完了したことを確認できた際」 to clear — only for case ①'s two settings."""
    return case_card_or_proxy and SettingKind(kind) in CARD_PROCEDURE_KINDS


def card_procedures_missing(procedures: CardProcedures) -> list[str]:
    """What is not yet confirmed complete, in the console's words; empty when clearing may be requested."""
    missing = []
    if not procedures.card_suspension_confirmed_on and not procedures.card_suspension_not_applicable:
        missing.append("カード停止の完了確認日")
    if procedures.number_change_advised_on and not procedures.number_change_confirmed_on:
        missing.append("個人番号の変更・カード再交付の完了確認日")
    if not procedures.proxy_cancel_confirmed_on:
        missing.append("代理人設定の解除の確認日")
    return missing


# 別紙2 §2: who may be registered as 設定対象者. ア and イ confirmed, and ウ her request — or, without one, the need
# is evident. Cases ① and ② describe threats, not conditions. Field names follow flags.services.open_protection_case.
CASE_CONDITION_TEXT = {
    "victim_confirmed": "ア（DV・虐待等被害者であること）の確認が必要です。被害を受けるおそれがある場合を含みます。",
    "fled_confirmed": "イ（加害者の下から避難していること）の確認が必要です。",
    "requested_by_person": "ウ（本人の申出）がない場合は、設定を要することが明らかな場合に限ります。申出があればウを、"
    "申出はないがア・イに該当し設定を要することが明らかならその旨を選んでください。",
}
NO_PROTECTION_CHOSEN = "不開示該当フラグまたは自己情報提供不可フラグの少なくとも一方を設定してください。"


def case_conditions_unmet(
    *, victim_confirmed: bool, fled_confirmed: bool, requested_by_person: bool, need_evident: bool
) -> dict[str, str]:
    """別紙2 §2 for one registration: the unmet conditions, field → why in Japanese; empty when they hold."""
    unmet = {}
    if not victim_confirmed:
        unmet["victim_confirmed"] = CASE_CONDITION_TEXT["victim_confirmed"]
    if not fled_confirmed:
        unmet["fled_confirmed"] = CASE_CONDITION_TEXT["fled_confirmed"]
    if not (requested_by_person or need_evident):
        unmet["requested_by_person"] = CASE_CONDITION_TEXT["requested_by_person"]
    return unmet


def case_protects(kinds: Iterable[SettingKind | str]) -> bool:
    """A case sets 不開示該当 or 自己情報提供不可 (別紙2 §2 ウ: the two she may ask for); 自動応答不可 alone is not one."""
    return bool(CARD_PROCEDURE_KINDS & {SettingKind(k) for k in kinds})


# カード停止等手続 (別紙2 §3 ①): each step's (confirmed, advised) dates; a completion is confirmed only after it was
# advised, and neither lies in the future.
CHECKLIST_PAIRS = (
    ("card_suspension_confirmed_on", "card_suspension_advised_on"),
    ("proxy_cancel_confirmed_on", "proxy_cancel_advised_on"),
    ("number_change_confirmed_on", "number_change_advised_on"),
)


def checklist_date_problems(dates: dict, *, today) -> dict[str, str]:
    """The checklist's dates (field → date or None) against each other and today: field → why; empty when sound."""
    problems = {}
    for name, value in dates.items():
        if value and value > today:
            problems[name] = "未来の日付は記録できません（確認した日を入力してください）。"
    for confirmed, advised in CHECKLIST_PAIRS:
        c, a = dates.get(confirmed), dates.get(advised)
        if c and not a:
            problems.setdefault(confirmed, "完了を確認する前に、案内した日も記録してください。")
        elif c and a and c < a:
            problems.setdefault(confirmed, "完了を確認した日は、案内した日以後の日付にしてください。")
    return problems


@dataclass(frozen=True)
class CardProxyFacts:
    """What Nakama's own data (the simulated card and 代理人 records) says about one protected person, as plain values.

    known: the facts could be read (False when no provider answered: the gate then fails closed).
    card_not_stopped: a card issued before the day suspension was advised (any card, if no date was recorded) is
      neither suspended nor replaced — a lock is not a suspension, the holder can have it lifted.
    linked_proxy: a linked person of the case (the abuser and others) is still her active 代理人.
    """

    known: bool = True
    card_not_stopped: bool = False
    linked_proxy: bool = False


FACTS_UNKNOWN = CardProxyFacts(known=False)


def card_facts_contradicting(procedures: CardProcedures, facts: CardProxyFacts) -> list[str]:
    """別紙2 §3 ① asks that completion be *confirmed*: what Nakama's own data shows against it, whatever was typed."""
    if not facts.known:
        return ["カード・代理人設定の状況（中間サーバーの記録）を確認できません"]
    contradicted = []
    if facts.card_not_stopped and not procedures.card_suspension_not_applicable:
        contradicted.append("カード停止を案内した時点のカードが、停止されずに使える状態です")
    if facts.linked_proxy:
        contradicted.append("要注意照会対象者（加害者など）が代理人に設定されたままです")
    return contradicted


@dataclass(frozen=True)
class CardGate:
    """The card-procedure gate's answer for clearing one setting: what is not recorded and what the facts contradict.
    Refused unless both are empty; a 責任者 may still ask, stating why (the override is recorded and audited)."""

    applies: bool
    missing: tuple[str, ...] = ()
    contradicted: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.applies and bool(self.missing or self.contradicted)

    @property
    def reasons(self) -> list[str]:
        return [*self.missing, *self.contradicted]


def card_procedure_gate(
    kind: SettingKind | str, *, case_card_or_proxy: bool, procedures: CardProcedures, facts: CardProxyFacts
) -> CardGate:
    """Clearing 不開示該当 / 自己情報提供不可 of a case ① (or closing it with them) waits for the dated checklist AND
    for Nakama's own data to agree: her old card stopped (unless 「対象外」) and no linked person still her 代理人."""
    if not clearing_waits_for_card_procedures(kind, case_card_or_proxy=case_card_or_proxy):
        return CardGate(applies=False)
    return CardGate(
        applies=True,
        missing=tuple(card_procedures_missing(procedures)),
        contradicted=tuple(card_facts_contradicting(procedures, facts)),
    )


def companion_setting_kinds(her_kinds: Iterable[SettingKind | str], *, case_card_or_proxy: bool) -> list[SettingKind]:
    """同伴者 (who fled with her) get the case's protections: the whole-member settings in force on her, and at least
    case ①'s two (別紙2 §3 ①: whoever holds the card or is the proxy must learn nothing), in a fixed order."""
    wanted = {SettingKind(kind) for kind in her_kinds}
    if case_card_or_proxy:
        wanted |= CARD_PROCEDURE_KINDS
    return [kind for kind in SettingKind if kind in wanted]

