"""「加害者から見える内容」 preview: staff of the case's insurer (any role) see, read-only, what her card holder or
proxy sees, and the abuser's records in which their insurer took part, each marked 表示される / 表示されない."""

import re

import pytest
from django.test import Client

from audit.models import AuditEntry
from exchanges.services import InquiryRequest, receive_inquiry, send_inquiry
from flags.links import link_person
from flags.services import open_protection_case
from portal_sim import services
from tests import factories as f
from tests.access_helpers import give_reason
from tests.portal.helpers import HISTORY, SELF_INFO, between, card_for, page, signed_in


@pytest.fixture
def case(victim, abuser, alice):
    return open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, linked_persons=[abuser], reason="本人の申出",
    )


def _no_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _url(case):
    return f"/portal/staff-preview/case/{case.pk}/"


def _staff(user):
    client = Client()
    client.force_login(user)
    return client


def _about_abuser(alice, abuser, city_ko, procedures, items, code):
    return send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id,
        nondisclosure_code=code))


def test_url_name():
    from django.urls import reverse

    assert reverse("portal_sim:staff_preview", args=[7]) == "/portal/staff-preview/case/7/"


@pytest.mark.parametrize("who", ["alice", "sam", "audrey"])
def test_every_role_of_the_insurer_may_preview_and_each_use_is_audited(case, who, request):
    user = request.getfixturevalue(who)
    before = AuditEntry.objects.filter(action="portal.preview").count()
    client = _staff(user)
    if user.pk != case.opened_by_id:  # not 担当: the reason first (issue 17; tests/console/test_access_log.py)
        give_reason(client, case.member)
    response = client.get(_url(case))
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="portal.preview").latest("id")
    assert AuditEntry.objects.filter(action="portal.preview").count() == before + 1
    assert entry.actor == user and entry.institution_id == case.institution_id
    assert entry.target_type == "flags.ProtectionCase" and entry.target_id == str(case.pk)


def test_other_insurer_gets_404_and_nothing_is_audited(case, bob):
    response = _staff(bob).get(_url(case))
    assert response.status_code == 404
    body = response.content.decode()
    assert "佐藤" not in body and "Ａ健康保険組合" not in body
    assert not AuditEntry.objects.filter(action="portal.preview").exists()
    missing = _staff(bob).get("/portal/staff-preview/case/987654/")
    assert missing.status_code == 404 and _no_token(missing) == _no_token(response)


def test_anonymous_goes_to_the_staff_login(case):
    response = Client().get(_url(case))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_portal_sign_in_does_not_open_the_preview(case, victim):
    client = signed_in(card_for(victim.person))
    response = client.get(_url(case))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_operator_without_insurer_gets_404(case, django_user_model):
    ops = django_user_model.objects.create_superuser(username="ops", password="ops-pw-12345")
    assert _staff(ops).get(_url(case)).status_code == 404


def test_shows_exactly_what_her_card_holder_sees(case, victim, alice, city_otsu, procedures, items):
    receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                    procedure=procedures["welfare"], item=items["medical_eligibility"])  # hidden (不開示該当)
    holder = signed_in(card_for(victim.person))
    preview = page(_staff(alice), _url(case))
    assert between(preview, "self-info") == between(page(holder, SELF_INFO), "self-info")
    assert between(preview, "history") == between(page(holder, HISTORY), "history")
    assert "回答なし" in between(preview, "self-info")
    assert "<form" not in preview.split("<main>")[1]  # read-only


def test_preview_keeps_to_the_insurers_own_part(case, victim, alice, insurer_b, city_otsu, city_ko, procedures, items):
    """Her card holder also sees other institutions' 副本 and records; an insurer's staff never do (SPEC)."""
    former = f.MemberFactory(insurer=insurer_b, person=victim.person)
    f.ReplicaFactory(member=former)  # her former insurer's 副本, not flagged there
    receive_inquiry(inquirer=city_ko, department=None, provider=city_otsu, subject=victim.person,
                    procedure=procedures["local_tax_levy"], item=items["medical_eligibility"])  # A took no part
    holder = signed_in(card_for(victim.person))
    holder_self, holder_history = page(holder, SELF_INFO), page(holder, HISTORY)
    assert insurer_b.name in holder_self and "甲市" in holder_history
    preview = page(_staff(alice), _url(case))
    assert insurer_b.name not in preview and insurer_b.insurer_number not in preview
    assert "甲市" not in between(preview, "history") and "乙市" not in between(preview, "history")
    assert "回答なし" in between(preview, "self-info")
    assert "当保険者が照会機関または提供機関である記録に限ります" in preview


def test_abuser_records_of_this_insurer_are_marked_shown_or_hidden(victim, abuser, alice, bob, city_ko, city_otsu,
                                                                  procedures, items):
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, reason="本人の申出",
    )
    _about_abuser(alice, abuser, city_ko, procedures, items, code=False)  # before he was linked: shown
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    _about_abuser(alice, abuser, city_ko, procedures, items, code=False)  # linked: coded by the system
    # Other institutions' records about the non-member must never reach Ａ's staff.
    _about_abuser(bob, abuser, city_ko, procedures, items, code=False)
    receive_inquiry(inquirer=city_otsu, department=city_otsu.departments.first(), provider=city_ko, subject=abuser,
                    procedure=procedures["local_tax_levy"], item=items["medical_eligibility"])

    preview = page(_staff(alice), _url(case))
    section = preview.split("要注意照会対象者（加害者など）のやりとり履歴")[1]
    assert section.count("<tr>") == 3  # heading + Ａ's two records
    assert section.count('<span class="caution">表示される</span>') == 1
    assert "表示されない（照会時の不開示コード）" in section
    assert "Ａ健康保険組合 業務部" in section
    assert "Ｂ県" not in preview and "資格保険料課" not in preview and "乙市" not in section
    viewed = AuditEntry.objects.get(action="case.links_viewed")  # the preview shows the link: audited
    assert viewed.actor == alice and viewed.after == {"persons": [abuser.sim_id]} and viewed.message == "職員用プレビュー"


def test_without_abuser_the_section_says_so(victim, alice):
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, reason="本人の申出",
    )
    assert "この設定対象者には要注意照会対象者が登録されていません。" in page(_staff(alice), _url(case))


def test_card_and_proxy_status_are_shown_without_the_card_identifier(case, victim, abuser, alice):
    card = card_for(victim.person)
    services.name_proxy(principal=victim.person, agent=abuser)
    services.suspend_card(card=card)
    html = page(_staff(alice), _url(case))
    assert card.card_number not in html and "＊＊＊＊" + card.card_number[-4:] in html
    assert "停止" in html and "代理人設定あり" in html and "佐藤 太郎" in html


def test_preview_is_japanese(case, alice):
    html = page(_staff(alice), _url(case))
    assert '<html lang="ja">' in html


def test_ordinary_member_case_of_another_member_is_scoped(insurer_a, alice, bob, insurer_b):
    """A case of insurer B's member is invisible to Ａ's staff even with a valid pk."""
    member_b = f.MemberFactory(insurer=insurer_b)
    case_b = open_protection_case(
        actor=bob, member=member_b, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, reason="本人の申出",
    )
    assert _staff(alice).get(_url(case_b)).status_code == 404
    assert _staff(bob).get(_url(case_b)).status_code == 200


def test_an_out_of_range_case_id_is_a_plain_404(alice):
    assert _staff(alice).get(f"/portal/staff-preview/case/{10**30}/").status_code == 404
