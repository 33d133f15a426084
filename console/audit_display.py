"""The audit trail as an auditor reads it: every key in Japanese, every time in JST written one way (the viewer's
和暦 or 西暦), short references instead of raw UUIDs (the full id is kept in the row's details and in the CSV).

The before/after JSON keys are the services' own; 副本 fields are named by their item's labels
(members/catalogue.ITEM_FIELDS, which are also the keys of Replica.content).
"""

import datetime
import re
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from audit import actions as audit_actions
from audit.models import AuditEntry
from console.templatetags.jdates import WAREKI, format_date
from members.catalogue import ITEM_FIELDS, ITEMS

KEY_LABELS = {
    "staff": "職員ID", "name": "氏名",
    "kind": "設定種別", "scope": "範囲", "state": "状態", "member": "枝番", "item": "特定個人情報",
    "inquiry_code": "照会時の不開示コード", "inquiry_code_source": "照会時のコード設定",
    "provision_code": "提供時の不開示コード", "source": "コード設定", "content": "提供内容",
    "filters": "条件", "rows": "件数", "username": "ユーザー名", "role": "役割", "department": "部署",
    "lost_on": "資格喪失日", "date_from": "期間（から）", "date_to": "期間（まで）", "person": "対象者",
    "code": "不開示コード", "action": "操作", "actor": "実行者",
    "card_suspension_advised": "カード停止の案内", "card_suspension_done": "カード停止の完了",
    "proxy_cancel_advised": "代理人解除の案内", "proxy_cancel_done": "代理人解除の完了",
    "number_change_advised": "番号変更等の案内", "number_change_done": "番号変更等の完了",
    "provision_code_source": "提供時のコード設定", "content_corrected": "提供内容の修正", "append_request": "追記依頼",
    "processed_at": "NWS反映日時", "at": "日時", "reason": "理由", "encoding": "文字コード", "affected_rows": "置換した行",
    "added": "追加", "clearing_requests": "解除依頼", "count": "件数", "items": "特定個人情報",
    "date_style": "日付の表示", "state_code": "状態",
    # lifecycle (設定対象者: カード停止等手続の日付, 見直し日, 終了) and insider (役割付与の依頼)
    "card_suspension_advised_on": "カード停止の案内日", "card_suspension_confirmed_on": "カード停止の完了確認日",
    "proxy_cancel_advised_on": "代理人解除の案内日", "proxy_cancel_confirmed_on": "代理人解除の完了確認日",
    "number_change_advised_on": "番号変更等の案内日", "number_change_confirmed_on": "番号変更等の完了確認日",
    "card_suspension_not_applicable": "カード停止は対象外",
    "card_suspension_not_applicable_reason": "カード停止を対象外とする理由",
    "gate": "手続の未確認・中間サーバーの記録との食い違い", "relation": "続柄", "removal": "削除依頼",
    "notes": "備考", "review_on": "見直し日", "closure": "終了依頼", "clear_settings": "フラグの同時解除",
    "clearing_request": "解除依頼", "override_reason": "手続完了前の解除の理由", "operator": "運用者",
    "role_before": "変更前の役割", "new_account": "新規登録",
    "filename": "ファイル名", "file_errors": "ファイルの誤り", "original": "元の内容", "replaced_rows": "置換した行",
    # issue 17: who looked at her (閲覧の記録, 担当, 週次の閲覧記録) and 差戻しの再依頼
    "channel": "閲覧の経路", "in_charge": "担当", "refiled_rejections": "再依頼した差戻し", "week": "週",
    # issue 11: 追記依頼 as a request to NWS, the exposure sweep, the handover
    "append_requests": "追記依頼", "status": "状態", "handover": "引継ぎ", "to": "引継ぎ先", "from": "引継ぎ元",
    "kinds": "引き継ぐ設定", "consent_on": "本人の同意を確認した日", "case": "設定対象者",
    # linked persons (要注意照会対象) and the settings CSV's closing entry
    "complete": "最後まで出力", "in_force": "解除する設定", "persons": "表示した要注意照会対象者", "still_shown": "まだ表示されている", "replaced_lines": "置換した行（行番号）", "links": "要注意照会対象者",
}
FIELD_LABELS = frozenset(label for labels in ITEM_FIELDS.values() for label in labels)
ITEM_NAMES = {code: name for code, name, _group in ITEMS}
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)

# target_type → (what it is, the console page that shows it in full, or None)
TARGETS = {
    "exchanges.ExchangeRecord": ("情報提供等記録", "console:exchange_detail"),
    "members.Member": ("被保険者", "console:member_detail"),
    "flags.ProtectionCase": ("設定対象者", "console:case_detail"),
    "flags.ClearingRequest": ("解除依頼", "console:clearing_detail"),
    "flags.CaseClosure": ("設定対象者の終了依頼", "console:closure_detail"),
    "institutions.RoleGrantRequest": ("役割付与の依頼", "console:role_grant_detail"),
    "flags.Setting": ("フラグ設定", None),
    "members.Replica": ("副本", None),
    "institutions.Staff": ("職員", None),
    "portal_sim.Card": ("カード", None),
    "portal_sim.Proxy": ("代理人設定", None),
    "knox.AuthToken": ("APIトークン", None),
}


def key_label(key: str) -> str:
    """The Japanese name of a key; a 副本 field is already named by its item's label (and so is an insurer's own)."""
    return KEY_LABELS.get(key, key)


def is_known_key(key: str) -> bool:
    return key in KEY_LABELS or key in FIELD_LABELS


def short_ref(value: str) -> str:
    """A UUID as its first 8 hex digits (enough to tell records apart on a page); anything else unchanged."""
    text = str(value)
    return text.replace("-", "")[:8] if _UUID.match(text) else text


def value_label(key: str, value, *, style: str = WAREKI) -> str:
    from console.selectors import CODE_FILTERS
    from exchanges.models import ExchangeState
    from flags.policy import SETTING_LABELS, SettingKind
    from institutions.models import DateStyle, Role

    if value is True:
        return "あり" if "code" in key else "はい"
    if value is False:
        return "なし" if "code" in key else "いいえ"
    if value is None or value == "":
        return "なし"
    if isinstance(value, dict):
        return summary(value, style=style) or "なし"
    if isinstance(value, list):
        return "・".join(value_label(key, v, style=style) for v in value) or "なし"
    text = str(value)
    if key == "kind" and text in SettingKind._value2member_map_:
        return SETTING_LABELS[SettingKind(text)]
    if text in ITEM_NAMES:
        return ITEM_NAMES[text]
    if key in ("inquiry_code_source", "provision_code_source", "source"):
        return {"auto": "自動設定", "manual": "手動設定"}.get(text, text)
    if key == "state":
        return dict(ExchangeState.choices).get(text, text)
    if key == "status":  # 追記依頼: 依頼中 / 処理済 / 差戻し
        from exchanges.models import AppendRequestStatus

        return dict(AppendRequestStatus.choices).get(text, text)
    if key in ("role", "role_before"):
        return dict(Role.choices).get(text, text)
    if key == "date_style":
        return dict(DateStyle.choices).get(text, text)
    if key == "code":
        return CODE_FILTERS[text][0] if text in CODE_FILTERS else text
    if key == "action":
        return audit_actions.action_label(text)
    if _UUID.match(text):
        return short_ref(text)
    if isinstance(value, str):
        return format_date(value, style=style, precision="second")  # ISO dates/times → JST; other text unchanged
    return text


def summary(data, *, style: str = WAREKI) -> str:
    if not data:
        return ""
    if not isinstance(data, dict):
        return str(data)
    return "、".join(f"{key_label(k)}: {value_label(k, v, style=style)}" for k, v in data.items())


CODE_KEYS = frozenset({"username"})  # values that are identifiers (login names), shown as codes


def summary_html(data, *, style: str = WAREKI) -> str:
    """summary() for the page: escaped, with identifier values in <span class="code">."""
    if not data:
        return ""
    if not isinstance(data, dict):
        return escape(str(data))
    parts = [
        format_html('{}: <span class="code">{}</span>' if key in CODE_KEYS else "{}: {}", key_label(key),
                    value_label(key, value, style=style))
        for key, value in data.items()
    ]
    return mark_safe("、".join(parts))  # noqa: S308 (each part is built by format_html)


@dataclass(frozen=True)
class TrailRow:
    entry: AuditEntry
    at: datetime.datetime
    actor: str
    action: str
    target_kind: str
    target_text: str
    target_url: str
    target_id: str
    request_id: str
    message: str
    before: str
    after: str
    before_html: str = ""  # the same, with login names marked as codes (not words of the page)
    after_html: str = ""


def trail_row(entry: AuditEntry, *, style: str = WAREKI) -> TrailRow:
    kind, url_name = TARGETS.get(entry.target_type, ("", None))
    if entry.target_type == "exchanges.ExchangeRecord":
        text = f"{kind} {short_ref(entry.target_id)}"  # its repr carries a time written at the moment of the act
    else:
        text = entry.target_repr or (f"{kind} {short_ref(entry.target_id)}" if entry.target_id else "")
    url = ""
    if url_name and entry.target_id:
        try:
            url = reverse(url_name, args=[entry.target_id])
        except NoReverseMatch:
            url = ""
    return TrailRow(
        entry=entry,
        at=entry.at,
        actor=entry.actor_name or "（職員以外）",
        action=audit_actions.action_label(entry.action),
        target_kind=kind or "",
        target_text=text,
        target_url=url,
        target_id=entry.target_id,
        request_id=entry.request_id,
        message=entry.message,
        before=summary(entry.before, style=style),
        after=summary(entry.after, style=style),
        before_html=summary_html(entry.before, style=style),
        after_html=summary_html(entry.after, style=style),
    )
