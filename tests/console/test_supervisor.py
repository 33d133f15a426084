"""責任者: the dashboard (counts, queue age, pending clearing, exchanges per day with the share hidden as an SVG
chart), four-eyes clearing, and staff accounts of the own insurer."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from flags.models import ClearingRequest, Setting
from institutions.models import Role, Staff


def test_dashboard_counts_and_chart(scene, sam, as_user):
    response = as_user(sam).get(reverse("console:dashboard"))
    d = response.context["d"]
    # 佐藤 花子 (case ①: 不開示該当 + 自己情報提供不可), 田中 三恵 (不開示該当), 鈴木 一郎 (自動応答不可).
    assert dict(d.settings_by_kind) == {"不開示該当フラグ": 2, "自己情報提供不可フラグ": 1, "自動応答不可フラグ": 1}
    assert d.open_manual == 1 and d.oldest_manual_age is not None
    assert d.pending_clearing == 1
    assert len(d.days) == 14
    assert sum(b.total for b in d.days) == 2 and sum(b.hidden for b in d.days) == 1
    busy = [b for b in d.days if b.total]
    if len(busy) == 1:  # both exchanges fell on the same day (always, unless the test straddles midnight)
        assert busy[0].hidden_percent == 50
    body = response.content.decode()
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert len(re.findall(r"<rect ", svg)) == 28  # all and hidden, per day
    assert "うち非表示 1件" in svg
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script (CSP); static/dates.js is a file


def test_dashboard_of_another_insurer_counts_nothing_of_ours(scene, bob_super, as_user):
    d = as_user(bob_super).get(reverse("console:dashboard")).context["d"]
    assert all(n == 0 for _, n in d.settings_by_kind)
    assert d.open_manual == 0 and d.pending_clearing == 0 and sum(b.total for b in d.days) == 0


def test_another_supervisor_approves_clearing(scene, sam, as_user):
    response = as_user(sam).post(reverse("console:clearing_detail", args=[scene.clearing_request.pk]),
                                 {"decision": "approve", "note": "完了を確認", "confirmed": "1"})
    assert response.status_code == 302
    scene.setting.refresh_from_db()
    # 解除者 is the approving supervisor; the requester is kept beside it.
    assert not scene.setting.is_active and scene.setting.cleared_by.username == "sam"
    assert scene.setting.clear_requested_by.username == "alice"
    assert AuditEntry.objects.filter(action="setting.cleared", actor=sam).exists()


def test_requester_cannot_approve_own_clearing(scene, sam, sue, as_user):
    client = as_user(sam)
    setting = Setting.objects.get(member=scene.victim, kind="no_self_info")
    client.post(reverse("console:setting_request_clearing", args=[setting.pk]), {"reason": "完了確認"})
    own = ClearingRequest.objects.get(setting=setting)
    page = client.get(reverse("console:clearing_detail", args=[own.pk])).content.decode()
    assert "ご自身が依頼した解除は承認できません。" in page
    response = client.post(reverse("console:clearing_detail", args=[own.pk]), {"decision": "approve", "confirmed": "1"})
    assert response.status_code == 400
    assert "依頼した本人は承認できません" in response.content.decode()
    setting.refresh_from_db()
    assert setting.is_active
    as_user(sue).post(reverse("console:clearing_detail", args=[own.pk]), {"decision": "approve", "confirmed": "1"})
    setting.refresh_from_db()
    assert not setting.is_active


def test_reject_needs_a_reason_and_keeps_the_setting(scene, sam, as_user):
    url = reverse("console:clearing_detail", args=[scene.clearing_request.pk])
    response = as_user(sam).post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400 and "却下する場合は理由を入力してください。" in response.content.decode()
    as_user(sam).post(url, {"decision": "reject", "note": "手続が未完了"})
    scene.clearing_request.refresh_from_db()
    scene.setting.refresh_from_db()
    assert scene.clearing_request.state == "rejected" and scene.setting.is_active


def test_clearing_list_shows_pending(scene, audrey, as_user):
    body = as_user(audrey).get(reverse("console:clearing_list")).content.decode()
    assert "カード停止の完了を確認" in body and "内容を見る" in body


STAFF_OK = {"username": "carol", "display_name": "キャロル 担当", "role": "clerk",
            "password1": "long-enough-pass-99", "password2": "long-enough-pass-99"}


def test_supervisor_creates_staff_of_own_insurer(sam, dept_a, as_user):
    response = as_user(sam).post(reverse("console:staff_new"), {**STAFF_OK, "department": dept_a.pk})
    assert response.status_code == 302
    carol = Staff.objects.get(username="carol")
    assert carol.institution == sam.institution and carol.role == Role.CLERK
    assert carol.check_password(STAFF_OK["password1"])
    assert AuditEntry.objects.filter(action="staff.created", actor=sam).exists()
    body = as_user(sam).get(reverse("console:staff_list")).content.decode()
    assert "キャロル 担当" in body


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password2": "different-pass-99"}, "確認用のパスワードが一致しません。"),
        ({"username": "alice"}, "このユーザー名はすでに使われています。"),
        ({"role": "admin"}, "役割を選び直してください。"),
        ({"department": "other"}, "部署を選び直してください。"),
        ({"display_name": ""}, "この項目は必須です。"),
        ({"password1": "abc", "password2": "abc"}, "このパスワードは短すぎます。"),
    ],
)
def test_bad_staff_input_is_refused_in_japanese(changes, message, sam, alice, dept_a, dept_b, as_user):
    data = {**STAFF_OK, "department": dept_a.pk, **changes}
    if changes.get("department") == "other":
        data["department"] = dept_b.pk  # another insurer's department is not offered
    response = as_user(sam).post(reverse("console:staff_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Staff.objects.filter(username="carol").exists()


def test_staff_list_is_own_insurer_only(alice, bob, sam, as_user):
    body = as_user(sam).get(reverse("console:staff_list")).content.decode()
    assert "アリス 担当" in body and "ボブ 担当" not in body
