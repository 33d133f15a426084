"""The confirmation step before an irreversible act (issue 10 point 7), without JavaScript.

The first POST of a form is validated and answered with `console/confirm.html`: plain Japanese on what will happen
to the person, the same POST data replayed as hidden fields, and two buttons: 「実行する」 (confirmed=1) and
「戻って修正する」 (confirmed=back). Only a POST carrying confirmed=1 reaches the service.
"""

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

EXECUTE, BACK, ASK = "execute", "back", "ask"

# What clearing a setting does to the person (the reverse of flags.policy.SETTING_EFFECTS), for confirmation pages.
CLEARING_EFFECTS = {
    "non_disclosure": "提供時・照会時に不開示コードが自動で付かなくなります。これから完了するやりとりは、マイナポータルの"
    "やりとり履歴に表示され、カードを持つ人や代理人にも照会・提供した機関の名称が見えるようになります"
    "（解除前に完了した記録は表示されないままです）。",
    "no_self_info": "マイナポータルの自己情報に、対象の情報（保険者名などを含む）が表示されるようになります。"
    "カードを持つ人や代理人にも見えるようになります。",
    "no_auto_response": "照会に自動で応答するようになります。職員による確認を経ずに情報が提供されます。",
}


@dataclass
class Confirmation:
    title: str
    lead: str  # one sentence: what will happen
    effects: list[str] = field(default_factory=list)  # what it means for the person
    button: str = "実行する"
    details: list[tuple[str, str]] = field(default_factory=list)  # (label, value) shown above the effects
    warning: str = ""


def step(request: HttpRequest) -> str:
    """ASK for a first POST, EXECUTE once confirmed, BACK to return to the form with its values."""
    value = request.POST.get("confirmed", "")
    if value == "1":
        return EXECUTE
    if value == "back":
        return BACK
    return ASK


def render_confirmation(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    replay = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirmed")
        for value in values
    ]
    return render(request, "console/confirm.html", {"c": confirmation, "replay": replay})
