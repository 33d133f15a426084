"""Checking one row of an imported settings file, and carrying it out through flags.services.

A row only ever adds a setting (状態 設定中) or, for an active setting, files a clearing request (状態 解除済) that
another supervisor still has to approve: an import never clears. A row that says what the database already holds is
「変更なし」, so our own export goes out and comes back (issue 19 ②): a 設定中 row of an active setting, a 解除済 row
of a setting already cleared (its 設定日時 names which, as the export wrote it or as Excel re-saved it), a 解除済 row
whose clearing already waits for approval. The file's 設定者 and 設定日時 never become data: the importer and the
time of import are recorded by the services.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError

from flagcsv.columns import (
    COLUMNS,
    GETA,
    KIND_BY_LABEL,
    SCOPE_WHOLE,
    STATE_ACTIVE,
    STATE_CLEARED,
    TOKYO,
    code_value,
    unguard_formula,
)
from flags import services
from flags.models import ClearingRequest, ClearingRequestState, Setting, SettingSource
from flags.policy import SETTING_LABELS, SettingKind
from members.models import InfoItem, Member

ADD = "add"
REQUEST_CLEARING = "request_clearing"
UNCHANGED = "unchanged"
ACTION_LABELS = {ADD: "設定を追加", REQUEST_CLEARING: "解除依頼を登録（承認待ち）", UNCHANGED: "変更なし"}


class RowInvalid(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class RowPlan:
    """What one valid row will do."""

    line: int
    action: str
    member: Member
    kind: SettingKind
    item: InfoItem | None
    reason: str
    setting: Setting | None = None  # the active setting a clearing request is filed for
    note: str = ""  # why a row is 変更なし, when it is not obvious

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]

    @property
    def kind_label(self) -> str:
        return SETTING_LABELS[self.kind]

    @property
    def scope_label(self) -> str:
        return self.item.name if self.item else SCOPE_WHOLE


@dataclass
class RowOutcome:
    line: int
    cells: dict[str, str]
    plan: RowPlan | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def branch(self) -> str:
        """被保険者枝番 as the clerk knows it: A0000001, not the file's ="A0000001"."""
        return code_value(_clean(self.cells.get("被保険者枝番")))


def _clean(value) -> str:
    return unicodedata.normalize("NFC", str(value or "")).strip()


def _name_key(value: str) -> str:
    # Compare names without half/full-width spaces; NFKC folds full-width letters and digits.
    return unicodedata.normalize("NFKC", value).replace(" ", "").replace("\u3000", "")


def names_match(in_file: str, registered: str) -> bool:
    """〓 in the file (a character a cp932 export could not hold) stands for any one character."""
    a, b = _name_key(in_file), _name_key(registered)
    if len(a) != len(b):
        return False
    return all(x in (y, GETA) for x, y in zip(a, b, strict=True))


# 設定日時 as we write it (2026-11-27 19:01:07) or as Excel re-saves it (2026/11/27 19:01, no seconds).
_DATETIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")


class FileTime:
    """The moment a 設定日時 cell names (Japan time), to the second, or to the minute when Excel dropped them."""

    def __init__(self, cell: str):
        self.moment, self.has_seconds = None, False
        found = _DATETIME.fullmatch(_clean(cell))
        if found:
            *parts, seconds = found.groups()
            self.has_seconds = seconds is not None
            try:
                self.moment = datetime.datetime(*(int(g) for g in parts), int(seconds or 0), tzinfo=TOKYO)
            except ValueError:
                self.moment = None

    def names(self, moment: datetime.datetime) -> bool:
        if self.moment is None:
            return False
        local = moment.astimezone(TOKYO).replace(microsecond=0)
        return (local if self.has_seconds else local.replace(second=0)) == self.moment


def _same_insurer_number(in_file: str, own: str) -> bool:
    # Excel drops leading zeros of a number it reads (06130015 → 6130015); the value is still ours.
    return bool(in_file) and in_file.isdigit() and in_file.lstrip("0") == own.lstrip("0")


class RowChecker:
    """Checks rows of one file for one importer. Lookups are scoped to the importer's insurer."""

    def __init__(self, *, actor, rows: list[tuple[int, dict[str, str]]]):
        self.actor = actor
        self.own_number = actor.institution.insurer_number if getattr(actor, "institution_id", None) else ""
        self.items = {item.name: item for item in InfoItem.objects.all()}
        self.duplicates = self._find_duplicates(rows)

    @staticmethod
    def _key(cells: dict[str, str]) -> tuple[str, str, str]:
        branch = code_value(_clean(cells.get("被保険者枝番")))
        return (branch, _clean(cells.get("設定種別")), _clean(cells.get("範囲")))

    def _find_duplicates(self, rows) -> dict[int, list[int]]:
        # Only 設定中 rows: an export lists a setting's history too (解除済 rows of the same member and kind).
        by_key: dict[tuple, list[int]] = {}
        for line, cells in rows:
            if _clean(cells.get("状態")) == STATE_ACTIVE:
                by_key.setdefault(self._key(cells), []).append(line)
        dup: dict[int, list[int]] = {}
        for lines in by_key.values():
            if len(lines) > 1:
                for line in lines:
                    dup[line] = [other for other in lines if other != line]
        return dup

    def plan(self, line: int, cells: dict[str, str]) -> RowPlan:
        """Check one row against the file and the database as they are now; raise RowInvalid with every problem."""
        errors: list[str] = []
        # Code cells as we write them (="06131239"), as Excel saves them after editing, or bare.
        number = code_value(_clean(cells["保険者番号"]))
        branch = code_value(_clean(cells["被保険者枝番"]))
        name = unguard_formula(_clean(cells["氏名"]))
        scope = unguard_formula(_clean(cells["範囲"]))
        kind_label = _clean(cells["設定種別"])
        state = _clean(cells["状態"])
        reason = unguard_formula(_clean(cells["理由"]))
        clear_reason = unguard_formula(_clean(cells["解除理由"]))

        if line in self.duplicates:
            others = "、".join(f"{n}行目" for n in self.duplicates[line])
            errors.append(f"{others}と被保険者枝番・設定種別・範囲が同じです（重複行）。")
        if not _same_insurer_number(number, self.own_number):
            # Says only that it is not ours: never whether another insurer has that number.
            errors.append(f"保険者番号「{number}」は自保険者の保険者番号（{self.own_number}）ではありません。")
        member = None
        if not branch:
            errors.append("被保険者枝番が空欄です。")
        else:
            member = Member.objects.visible_to(self.actor).filter(branch_number=branch).first()
            if member is None:
                hint = "（Excelで保存すると先頭の0が消えることがあります）" if branch.isdigit() else ""
                errors.append(f"被保険者枝番「{branch}」の被保険者は登録されていません{hint}。")
            elif name and not names_match(name, member.name):
                errors.append(f"氏名「{name}」が被保険者枝番「{branch}」の登録氏名と一致しません。")
        item = None
        if scope != SCOPE_WHOLE:
            item = self.items.get(scope)
            if item is None:
                errors.append(f"範囲「{scope}」が正しくありません（「{SCOPE_WHOLE}」または特定個人情報名）。")
        kind = KIND_BY_LABEL.get(kind_label)
        if kind is None:
            errors.append(f"設定種別「{kind_label}」が正しくありません（{'、'.join(KIND_BY_LABEL)}のいずれか）。")
        if state not in (STATE_ACTIVE, STATE_CLEARED):
            errors.append(f"状態「{state}」が正しくありません（「{STATE_ACTIVE}」または「{STATE_CLEARED}」）。")
        if state == STATE_ACTIVE and not reason:
            errors.append("理由が空欄です。")
        if state == STATE_CLEARED and not clear_reason:
            errors.append("解除理由が空欄です（解除依頼には解除理由が必要です）。")
        if errors:
            raise RowInvalid(errors)

        label = f"{SETTING_LABELS[kind]}（{item.name if item else SCOPE_WHOLE}）"
        settings = Setting.objects.visible_to(self.actor).filter(member=member, kind=kind, item=item)
        active = settings.active().first()
        set_time = FileTime(cells["設定日時"])
        # The cleared setting this row was exported from, if its 設定日時 names one.
        cleared = None
        if set_time.moment is not None:
            cleared = next((s for s in settings.filter(cleared_at__isnull=False) if set_time.names(s.set_at)), None)

        def plan(action, **extra) -> RowPlan:
            return RowPlan(line=line, action=action, member=member, kind=kind, item=item, **extra)

        if state == STATE_ACTIVE:
            if active is not None:
                return plan(UNCHANGED, reason=reason, setting=active)
            if cleared is not None:
                when = cleared.cleared_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
                raise RowInvalid([f"{label}はファイルの出力後に解除されています（解除日時 {when}）。改めて設定する場合は、"
                                  "設定日時を空欄にしてください。"])
            return plan(ADD, reason=reason)
        # A 解除済 row of a cleared setting is history (the export lists it beside the setting made again later),
        # unless it names the active setting and not a past clearing (解除日時 empty): then it asks to clear.
        history = cleared is not None and (
            active is None or not set_time.names(active.set_at) or bool(_clean(cells["解除日時"]))
        )
        if active is not None and not history:
            if ClearingRequest.objects.filter(setting=active, state=ClearingRequestState.PENDING).exists():
                return plan(UNCHANGED, reason=clear_reason, setting=active, note="承認待ちの解除依頼があります")
            return plan(REQUEST_CLEARING, reason=clear_reason, setting=active)
        if cleared is not None or (active is None and settings.exists()):
            return plan(UNCHANGED, reason=clear_reason, note="解除済み")
        raise RowInvalid([f"設定中の{label}がないため、解除依頼を登録できません。"])


def carry_out(*, actor, plan: RowPlan):
    """The same services, rules and audit as the console. Never clears: a 解除済 row only files a request."""
    if plan.action == UNCHANGED:
        return None
    try:
        if plan.action == ADD:
            return services.set_setting(
                actor=actor, member=plan.member, kind=plan.kind, reason=plan.reason, item=plan.item,
                source=SettingSource.IMPORT,
            )
        return services.request_clearing(actor=actor, setting=plan.setting, reason=plan.reason)
    except ValidationError as e:
        raise RowInvalid(list(e.messages)) from None
    except PermissionDenied as e:
        raise RowInvalid([str(e) or "この操作を行う権限がありません。"]) from None


__all__ = ["COLUMNS", "RowChecker", "RowInvalid", "RowOutcome", "RowPlan", "carry_out"]
