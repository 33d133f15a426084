"""Who looked at her (issue 17 point 6): the case's 担当, break the glass for everyone else, the masked search, the
case page's 閲覧記録 and the auditor's weekly digest, each scoped to the insurer."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from institutions.models import Role
from tests import factories as f
from tests.access_helpers import give_reason


@pytest.fixture
def carol(dept_a):
    """A colleague of alice's at insurer A, not 担当 of the victim's case."""
    return f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)


def _viewed():
    return AuditEntry.objects.filter(action="protected.viewed").order_by("id")


def test_a_colleagues_look_up_is_listed_on_the_case_page_with_its_reason(scene, alice, carol, as_user, client):
    """The done-when test: carol (not 担当) looks her up; the case page's 閲覧記録 shows who, what and why."""
    as_user(carol)
    prompt = client.get(reverse("console:member_detail", args=[scene.victim.pk]))
    body = prompt.content.decode()
    assert prompt.status_code == 200 and 'id="glass"' in body
    assert "佐藤 花子" not in body and "A0000001" not in body  # nothing of her before the reason
    assert not _viewed().exists()
    give_reason(client, scene.victim, reason="本人から電話で給付の問合せ")
    page = client.get(reverse("console:member_detail", args=[scene.victim.pk])).content.decode()
    assert "佐藤 花子" in page
    entry = _viewed().get()
    assert entry.actor == carol and entry.target_id == str(scene.victim.pk)
    assert entry.after == {"channel": "被保険者詳細", "reason": "本人から電話で給付の問合せ", "in_charge": False}

    as_user(alice)  # 担当: no prompt, and her view is recorded as 担当
    case_page = client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    log = case_page[case_page.index('id="access-log"'):]
    assert "キャロル 担当" in log and "本人から電話で給付の問合せ" in log and "担当外" in log and "被保険者詳細" in log
    assert _viewed().last().after["in_charge"] is True


def test_every_page_about_her_asks_a_non_in_charge_colleague_first(scene, carol, as_user, client):
    as_user(carol)
    for url in (reverse("console:case_detail", args=[scene.case.pk]),
                reverse("console:case_exposure", args=[scene.case.pk])):
        response = client.get(url)
        assert 'id="glass"' in response.content.decode() and "佐藤 花子" not in response.content.decode(), url
    preview = client.get(reverse("portal_sim:staff_preview", args=[scene.case.pk]))
    assert preview.status_code == 302 and preview["Location"].startswith(
        reverse("console:glass", args=[scene.victim.pk]))
    refused = client.post(reverse("console:glass", args=[scene.victim.pk]), {"reason": "  ", "next": "/"})
    assert refused.status_code == 400 and "理由を1行で入力" in refused.content.decode()
    assert not _viewed().exists()
    give_reason(client, scene.victim, reason="加害者対応の確認")
    assert client.get(reverse("portal_sim:staff_preview", args=[scene.case.pk])).status_code == 200
    entry = _viewed().get()
    assert entry.after["reason"] == "加害者対応の確認" and "プレビュー" in entry.after["channel"]


def test_a_name_search_masks_her_until_the_reason_is_given(scene, alice, carol, as_user, client):
    url = reverse("console:member_search") + "?kana=" + quote("サトウ")
    as_user(carol)
    body = client.get(url).content.decode()
    assert "保護対象者" in body
    assert "佐藤 花子" not in body and "A0000001" not in body  # no name, no 枝番
    assert f'href="{reverse("console:member_detail", args=[scene.victim.pk])}"' not in body  # no link to her page
    # alice is 担当: she sees her plainly.
    as_user(alice)
    assert "佐藤 花子" in client.get(url).content.decode()
    as_user(carol)
    response = client.post(reverse("console:glass", args=[scene.victim.pk]), {
        "reason": "同姓の別人との確認", "page": "被保険者検索", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert "佐藤 花子" in client.get(url).content.decode()
    entry = _viewed().get()
    assert entry.actor == carol and entry.after["reason"] == "同姓の別人との確認" and "被保険者検索" in entry.message


def test_a_supervisor_names_and_removes_in_charge_staff_audited(scene, alice, carol, sam, as_user, client):
    as_user(sam)
    client.post(reverse("console:case_staff", args=[scene.case.pk]), {"op": "add", "staff": carol.pk})
    client.post(reverse("console:case_staff", args=[scene.case.pk]), {"op": "remove", "staff": alice.pk})
    assert list(AuditEntry.objects.filter(action__startswith="case.staff_").order_by("id").values_list("action", flat=True)) == [
        "case.staff_added", "case.staff_removed"]
    as_user(carol)  # now 担当: no prompt
    assert "佐藤 花子" in client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    as_user(alice)  # the registering clerk, taken off: asked like anyone else
    assert 'id="glass"' in client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    as_user(carol)  # a clerk cannot change 担当
    assert client.post(reverse("console:case_staff", args=[scene.case.pk]),
                       {"op": "add", "staff": alice.pk}).status_code == 403


def test_an_inquiry_about_the_linked_abuser_by_a_colleague_needs_a_reason(
    scene, carol, abuser, city_ko, items, procedures, as_user, client
):
    as_user(carol)
    form = {"subject_type": "person", "sim_id": abuser.sim_id, "procedure": procedures["kenpo_benefit"].pk,
            "item": items["local_tax"].pk, "provider": city_ko.pk}
    confirm = client.post(reverse("console:inquiry_new"), form).content.decode()
    assert 'id="access-reason-box"' in confirm and "佐藤 花子" not in confirm  # her name stays behind the glass
    sent_before = AuditEntry.objects.filter(action="inquiry.sent").count()
    refused = client.post(reverse("console:inquiry_new"), {**form, "step": "send"})
    assert refused.status_code == 400 and "理由" in refused.content.decode()
    assert AuditEntry.objects.filter(action="inquiry.sent").count() == sent_before  # nothing sent
    sent = client.post(reverse("console:inquiry_new"), {**form, "step": "send", "access_reason": "税額の確認"})
    assert sent.status_code == 302
    entry = _viewed().get()
    assert entry.target_id == str(scene.victim.pk) and entry.actor == carol
    assert entry.after == {"channel": "情報照会（要注意照会対象者）", "reason": "税額の確認", "in_charge": False}


def test_the_auditors_weekly_digest_lists_non_in_charge_access_first_and_is_audited(
    scene, alice, carol, audrey, as_user, client
):
    as_user(carol)
    give_reason(client, scene.victim, reason="窓口での本人確認")
    client.get(reverse("console:member_detail", args=[scene.victim.pk]))
    as_user(alice)
    client.get(reverse("console:member_detail", args=[scene.victim.pk]))
    as_user(audrey)
    week = timezone.localdate().isoformat()
    body = client.get(reverse("console:access_digest") + f"?week={week}").content.decode()
    table = body[body.index('id="digest"'):]
    assert table.index("キャロル 担当") < table.index("アリス 担当")  # non-担当 first
    assert "窓口での本人確認" in table and "佐藤 花子" in table
    read = AuditEntry.objects.get(action="audit.access_digest_viewed")
    assert read.actor == audrey and read.after["rows"] == 2
    csv = client.get(reverse("console:access_digest_csv") + f"?week={week}")
    text = csv.content.decode("utf-8-sig")
    assert "窓口での本人確認" in text and text.index("キャロル") < text.index("アリス")
    assert client.get(reverse("console:access_digest") + "?week=来週").status_code == 400


def test_another_insurers_auditor_sees_nothing_of_ours(scene, carol, bob_audit, as_user, client):
    as_user(carol)
    give_reason(client, scene.victim, reason="確認")
    client.get(reverse("console:member_detail", args=[scene.victim.pk]))
    as_user(bob_audit)
    body = client.get(reverse("console:access_digest")).content.decode()
    assert "キャロル" not in body and "佐藤 花子" not in body and "確認" not in body.split('id="digest"')[1]
    assert client.post(reverse("console:glass", args=[scene.victim.pk]), {"reason": "x"}).status_code == 404


def test_an_auditor_gives_a_reason_too(scene, audrey, as_user, client):
    as_user(audrey)
    assert 'id="glass"' in client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    give_reason(client, scene.victim, reason="四半期監査")
    assert "佐藤 花子" in client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
