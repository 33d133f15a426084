"""Display helpers for console templates: the per-role navigation, ages, and values shown in Japanese."""

import datetime
import json

from django import template
from django.urls import reverse

from members.catalogue import ITEMS

register = template.Library()

# (label, url, roles). The CSV pages live in the flagcsv app under /settings-csv/ (built on another branch).
NAV = [
    ("ホーム", "console:home", {"clerk", "supervisor", "auditor"}),
    ("被保険者検索", "console:member_search", {"clerk", "supervisor", "auditor"}),
    ("設定対象者", "console:case_list", {"clerk", "supervisor", "auditor"}),
    ("情報照会", "console:inquiry_new", {"clerk", "supervisor"}),
    ("手動応答", "console:manual_queue", {"clerk", "supervisor", "auditor"}),
    ("やりとり履歴", "console:exchange_list", {"clerk", "supervisor", "auditor"}),
    ("追記依頼", "console:append_list", {"clerk", "supervisor", "auditor"}),
    ("ダッシュボード", "console:dashboard", {"supervisor", "auditor"}),
    ("解除承認", "console:clearing_list", {"supervisor", "auditor"}),
    ("職員", "console:staff_list", {"supervisor", "auditor"}),
    ("設定CSV", "/settings-csv/", {"supervisor"}),
    ("監査証跡", "console:audit_trail", {"auditor"}),
]


@register.inclusion_tag("console/_nav.html", takes_context=True)
def console_nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    role = getattr(user, "role", "")
    path = request.path if request else ""
    links = []
    for label, target, roles in NAV:
        if role not in roles:
            continue
        url = target if target.startswith("/") else reverse(target)
        current = path == url if url == "/" else path.startswith(url)
        links.append({"label": label, "url": url, "current": current})
    return {"links": links}


@register.filter
def age(value) -> str:
    """A waiting time in Japanese: 「2日3時間」「45分」."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}日{hours}時間"
    if hours:
        return f"{hours}時間{mins}分"
    return f"{mins}分"


@register.filter
def show_value(value) -> str:
    """A 副本 value for display: None is 「設定なし」 (as 別紙3 ③ writes it)."""
    if value is None or value == "":
        return "設定なし"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@register.filter
def yesno_ja(value) -> str:
    return "はい" if value else "いいえ"


# Before/after JSON of an audit entry, shown with Japanese names (the keys are the services' own).
_KEY_LABELS = {
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
    "role_before": "変更前の役割", "new_account": "新規登録", "operator": "運用者による操作",
    "append_requests": "追記依頼", "status": "状態", "handover": "引継ぎ", "to": "引継ぎ先", "from": "引継ぎ元",
    "kinds": "引き継ぐ設定", "consent_on": "本人の同意を確認した日", "case": "設定対象者",
}
_ITEM_NAMES = {code: name for code, name, _group in ITEMS}


def _key_label(key) -> str:
    return _KEY_LABELS.get(key, "その他の項目")


def _value_label(key, value) -> str:
    from console.selectors import CODE_FILTERS, action_label
    from exchanges.models import ExchangeState
    from flags.policy import SETTING_LABELS, SettingKind
    from institutions.models import Role

    if value is True:
        return "あり" if "code" in key else "はい"
    if value is False:
        return "なし" if "code" in key else "いいえ"
    if value is None or value == "":
        return "なし"
    if isinstance(value, dict):
        return "、".join(f"{_key_label(k)}: {_value_label(k, v)}" for k, v in value.items()) or "なし"
    text = str(value)
    if key == "kind" and text in SettingKind._value2member_map_:
        return SETTING_LABELS[SettingKind(text)]
    if text in _ITEM_NAMES:
        return _ITEM_NAMES[text]
    if key in ("inquiry_code_source", "provision_code_source", "source"):
        return {"auto": "自動設定", "manual": "手動設定"}.get(text, text)
    if key == "state":
        return dict(ExchangeState.choices).get(text, text)
    if key == "status":
        from exchanges.models import AppendRequestStatus

        return dict(AppendRequestStatus.choices).get(text, text)
    if key in ("role", "role_before"):
        return dict(Role.choices).get(text, text)
    if key == "code":
        return CODE_FILTERS[text][0] if text in CODE_FILTERS else text
    if key == "action":
        return action_label(text)
    return text


@register.filter
def change_summary(data) -> str:
    if not data:
        return ""
    if not isinstance(data, dict):
        return str(data)
    return "、".join(f"{_key_label(k)}: {_value_label(k, v)}" for k, v in data.items())
