"""Display helpers for console templates: the per-role navigation, ages, and values shown in Japanese."""

import json

from django import template
from django.urls import reverse

from console.templatetags.jdates import format_date, viewer_style
from nakama.text import format_age

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
    ("閲覧記録", "console:access_digest", {"auditor"}),
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
    return format_age(value)


@register.simple_tag(takes_context=True)
def show_value(context, value) -> str:
    """A 副本 value for display: None is 「設定なし」 (as 別紙3 ③ writes it); an ISO date as the viewer reads dates."""
    if value is None or value == "":
        return "設定なし"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return format_date(value, style=viewer_style(context)) if isinstance(value, str) else str(value)


@register.filter
def yesno_ja(value) -> str:
    return "はい" if value else "いいえ"
