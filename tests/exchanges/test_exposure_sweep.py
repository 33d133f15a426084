"""Exposure sweep (issue 11 point 1): what already leaked before the case was opened, found by the portal's own
rule, and hidden with one confirmed 追記依頼 per record once NWS has processed it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from exchanges import nws
from exchanges.selectors import portal_history
from exchanges.services import AppendRequestExists, file_append_request, receive_inquiry
from exchanges.sweep import HER, LINKED, exposure_sweep, file_sweep_append_requests
from flags.services import open_protection_case
from portal_sim import services as portal
from tests.exchanges.conftest import department
from tests.portal.helpers import HISTORY, act_for, card_for, history_rows, page, signed_in


@pytest.fixture
def as_user(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # card PINs, signed in often

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def leaked(victim, abuser, alice, bob, city_data, city_ko, city_otsu, ask, procedures, items):
    """Three visible exchanges about her and two about the abuser naming Ａ健康保険組合 業務部, all before anyone
    knew; and insurer B's own exchanges about both, which are none of A's business."""
    about_her = [
        ask(city_ko, member=victim),
        ask(city_ko, member=victim, item="resident_record"),
        receive_inquiry(inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
                        subject=victim.person, procedure=procedures["welfare"], item=items["medical_eligibility"]),
    ]
    about_him = [ask(city_ko, sim_id=abuser.sim_id), ask(city_ko, sim_id=abuser.sim_id, item="resident_record")]
    others = [ask(city_ko, sim_id=abuser.sim_id, actor=bob), ask(city_ko, sim_id=victim.person.sim_id, actor=bob)]
    her_card = card_for(victim.person, "1111")
    portal.name_proxy(principal=victim.person, agent=abuser)  # he is her proxy (case ①)
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, linked_persons=[abuser], reason="本人の申出",
    )
    return {"her": about_her, "him": about_him, "others": others, "case": case, "her_card": her_card}


def _portal_counts(victim, abuser, her_card):
    """Rows of her やりとり履歴 as card holder, as her proxy (the abuser) and of his own history."""
    holder = history_rows(page(signed_in(her_card, "1111"), HISTORY))
    his_client = signed_in(card_for(abuser, "2222"), "2222")
    own = history_rows(page(his_client, HISTORY))
    act_for(his_client, victim.person)
    as_proxy = history_rows(page(his_client, HISTORY))
    return len(holder), len(as_proxy), len(own)


def test_sweep_lists_the_five_leaked_records_and_nws_processing_hides_them(
    leaked, victim, abuser, alice, bob, as_user
):
    case = leaked["case"]
    lines = exposure_sweep(user=alice, case=case)
    assert {line.record for line in lines} == set(leaked["her"]) | set(leaked["him"])
    assert len(lines) == 5
    assert {line.about for line in lines if line.record in leaked["him"]} == {LINKED}
    assert {line.about for line in lines if line.record in leaked["her"]} == {HER}
    her_line = next(line for line in lines if line.about == HER)
    assert "カードを持つ人・代理人" in her_line.who_can_see
    his_line = next(line for line in lines if line.about == LINKED)
    assert "佐藤 太郎さん" in his_line.who_can_see and "Ａ健康保険組合 業務部" in his_line.reveals
    # Insurer B took part in none of A's records: it sees nothing of A's case (and A none of B's records).
    assert leaked["others"][0].pk not in {line.record.pk for line in lines}

    # Before: her portal (card holder 3 + B's 1, as proxy the same) and his own (2 + B's 1).
    assert _portal_counts(victim, abuser, leaked["her_card"]) == (4, 4, 3)

    client = as_user(alice)
    url = reverse("console:case_exposure", args=[case.pk])
    chosen = [str(line.record.pk) for line in lines]
    asked = client.post(url, {"records": chosen, "reason": "登録前の記録（別紙2 §4）"})
    assert asked.status_code == 200 and "5件の追記依頼を行う" in asked.content.decode()  # the confirmation step
    done = client.post(url, {"records": chosen, "reason": "登録前の記録（別紙2 §4）", "confirmed": "1"})
    assert done.status_code == 302
    body = client.get(url).content.decode()
    assert body.count("処理中：まだ表示されています") == 5 and 'name="records"' not in body
    # Still shown until NWS has processed the requests, and the console says so.
    assert _portal_counts(victim, abuser, leaked["her_card"]) == (4, 4, 3)
    entry = AuditEntry.objects.get(action="case.exposure_sweep_filed")
    assert entry.after["count"] == 5 and entry.actor == alice

    nws.process_pending_append_requests()
    assert exposure_sweep(user=alice, case=case) == []
    assert _portal_counts(victim, abuser, leaked["her_card"]) == (1, 1, 1)  # only insurer B's records remain
    assert not set(portal_history(person=victim.person)) & set(leaked["her"])
    assert not set(portal_history(person=abuser)) & set(leaked["him"])


def test_a_record_with_a_pending_request_is_listed_once_as_pending_and_cannot_be_chosen_again(leaked, alice, sam):
    case = leaked["case"]
    first = file_append_request(actor=alice, record=leaked["him"][0], reason="加害者に係る照会")
    lines = {line.record: line for line in exposure_sweep(user=sam, case=case)}
    assert lines[leaked["him"][0]].pending == first and not lines[leaked["him"][0]].selectable
    with pytest.raises(ValidationError, match="すでに追記依頼中"):
        file_sweep_append_requests(actor=sam, case=case, record_ids=[leaked["him"][0].pk, leaked["him"][1].pk],
                                   reason="一括")
    assert first.record.append_requests.count() == 1  # nothing half-written
    with pytest.raises(AppendRequestExists):
        file_append_request(actor=sam, record=leaked["him"][0], reason="二度目")


def test_another_insurer_cannot_open_the_sweep(leaked, bob, as_user):
    response = as_user(bob).get(reverse("console:case_exposure", args=[leaked["case"].pk]))
    assert response.status_code == 404


def test_case_page_banner_links_to_the_sweep(leaked, alice, as_user):
    body = as_user(alice).get(reverse("console:case_detail", args=[leaked["case"].pk])).content.decode()
    assert "マイナポータルに表示されたままの記録" in body and "<strong>5件</strong>" in body
