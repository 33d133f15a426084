"""代理人: the principal names and removes a proxy; the proxy switches only to someone who named them and then
sees exactly what the principal sees; any other person id is refused with the same 404 as a nonexistent one."""

import re

import pytest
from django.test import Client

from exchanges.services import receive_inquiry
from flags.policy import SettingKind
from flags.services import set_setting
from portal_sim import services
from portal_sim.models import Proxy
from portal_sim.views import PORTAL_ACTING_FOR_KEY
from tests import factories as f
from tests.portal.helpers import (
    HISTORY,
    PROXIES,
    SELF_INFO,
    act_for,
    card_for,
    history_rows,
    main_of,
    page,
    person_portal,
)


@pytest.fixture
def principal(victim):
    return victim.person


@pytest.fixture
def agent(abuser):
    return abuser


def test_principal_names_a_proxy_by_person_identifier(principal, agent):
    client = person_portal(principal)
    response = client.post("/portal/proxies/name/", {"sim_id": agent.sim_id.lower()})
    assert response.status_code == 302
    assert Proxy.objects.filter(principal=principal, agent=agent, removed_at__isnull=True).exists()
    html = page(client, PROXIES)
    assert "佐藤 太郎 さんを代理人に設定しました。" in html
    assert "佐藤 太郎 さん（" in html


def test_naming_an_unknown_identifier_or_oneself_is_refused_in_japanese(principal):
    client = person_portal(principal)
    unknown = client.post("/portal/proxies/name/", {"sim_id": "SIM-ZZZZ-ZZZZ"})
    assert unknown.status_code == 400
    assert "入力された個人識別子に該当する方が見つかりません。" in unknown.content.decode()
    itself = client.post("/portal/proxies/name/", {"sim_id": principal.sim_id})
    assert "ご本人を代理人に設定することはできません。" in itself.content.decode()
    assert not Proxy.objects.exists()


def test_proxy_switches_and_sees_the_principals_pages(principal, agent, victim, city_otsu, procedures, items):
    receive_inquiry(
        inquirer=city_otsu, department=None, provider=victim.insurer, subject=principal,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    services.name_proxy(principal=principal, agent=agent)
    her = person_portal(principal, "1111")
    him = person_portal(agent, "2222")
    assert "佐藤 花子 さん" in page(him, PROXIES)  # listed among those he may act for
    response = act_for(him, principal)
    assert response.status_code == 302
    for url in (SELF_INFO, HISTORY):
        his_view = page(him, url)
        assert "代理人として 佐藤 花子 さんの情報を表示しています" in his_view
        assert main_of(his_view) == main_of(page(her, url))
    assert "Ａ健康保険組合" in main_of(page(him, SELF_INFO))
    assert [r["照会機関"] for r in history_rows(page(him, HISTORY))] == ["乙市"]


def test_another_persons_id_is_refused_like_a_nonexistent_one(principal, agent):
    stranger = f.PersonFactory(name="赤の 他人")
    services.name_proxy(principal=stranger, agent=f.PersonFactory())  # has a proxy, but not him
    him = person_portal(agent)
    refused_other = act_for(him, principal)
    refused_stranger = act_for(him, stranger)
    refused_missing = him.post("/portal/principals/987654321/switch/")
    assert refused_other.status_code == refused_stranger.status_code == refused_missing.status_code == 404
    assert refused_other.content == refused_stranger.content == refused_missing.content
    body = refused_other.content.decode()
    assert "佐藤 花子" not in body and "赤の 他人" not in body and "ページが見つかりません" in body
    assert PORTAL_ACTING_FOR_KEY not in him.session
    assert "代理人として" not in page(him, SELF_INFO)


def test_switch_needs_post(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent)
    assert him.get(f"/portal/principals/{principal.pk}/switch/").status_code == 405
    assert PORTAL_ACTING_FOR_KEY not in him.session


def test_a_forged_session_switch_is_not_honoured(principal, agent):
    """The principal is re-checked on every request, so even a session value the proxy could set is refused."""
    him = person_portal(agent)
    session = him.session
    session[PORTAL_ACTING_FOR_KEY] = principal.pk
    session.save()
    response = him.get(SELF_INFO)
    assert response.status_code == 302 and response.url == "/portal/"
    assert PORTAL_ACTING_FOR_KEY not in him.session
    assert "佐藤 花子" not in page(him, "/portal/")


def test_principal_removes_the_proxy_and_the_proxys_view_ends_at_once(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent, "2222")
    act_for(him, principal)
    assert "代理人として" in page(him, SELF_INFO)

    her = person_portal(principal, "1111")
    response = her.post("/portal/proxies/remove/", {"agent": agent.sim_id})
    assert response.status_code == 302
    assert "佐藤 太郎 さんの代理人設定を解除しました。" in page(her, PROXIES)

    after = him.get(SELF_INFO)
    assert after.status_code == 302
    assert "佐藤 花子" not in page(him, SELF_INFO)
    assert act_for(him, principal).status_code == 404


def test_only_the_principal_removes_a_proxy(principal, agent):
    """The proxy, even while acting for her, can only touch his own proxy settings."""
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent)
    act_for(him, principal)
    assert him.post("/portal/proxies/remove/", {"agent": agent.sim_id}).status_code == 404
    page_html = page(him, PROXIES)
    assert "解除する" not in page_html  # her proxies are not his to see or remove
    assert Proxy.objects.filter(principal=principal, removed_at__isnull=True).count() == 1


def test_proxy_naming_while_acting_applies_to_the_holder_not_the_principal(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent)
    act_for(him, principal)
    third = f.PersonFactory()
    him.post("/portal/proxies/name/", {"sim_id": third.sim_id})
    assert Proxy.objects.filter(principal=agent, agent=third).exists()
    assert not Proxy.objects.filter(principal=principal, agent=third).exists()


def test_card_suspension_does_not_remove_proxies(principal, agent):
    card = card_for(principal, "1111")
    services.name_proxy(principal=principal, agent=agent)
    services.suspend_card(card=card, reason="別紙2 ケース①")
    assert Proxy.objects.filter(principal=principal, agent=agent, removed_at__isnull=True).exists()
    him = person_portal(agent, "2222")
    assert act_for(him, principal).status_code == 302
    assert "代理人として 佐藤 花子 さんの情報を表示しています" in page(him, SELF_INFO)


def test_proxy_sees_the_same_hiding_as_the_principal(principal, agent, victim, alice):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent)
    act_for(him, principal)
    html = page(him, SELF_INFO)
    assert "回答なし" in html and "Ａ健康保険組合" not in html


def test_back_to_ones_own_view(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    him = person_portal(agent)
    act_for(him, principal)
    assert him.post("/portal/principals/self/").status_code == 302
    assert "代理人として" not in page(him, SELF_INFO)


def test_proxy_forms_carry_csrf_tokens(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    html = page(person_portal(principal), PROXIES)
    assert len(re.findall(r'name="csrfmiddlewaretoken"', html)) == html.count("<form")


def test_proxy_signing_in_with_his_own_suspended_card_is_refused(principal, agent):
    services.name_proxy(principal=principal, agent=agent)
    card = card_for(agent, "2222")
    services.suspend_card(card=card)
    response = Client().post("/portal/login/", {"card_number": card.card_number, "pin": "2222"})
    assert "このカードは利用が停止されているため、ログインできません。" in response.content.decode()


def test_an_out_of_range_id_is_the_same_404(principal, agent):
    him = person_portal(agent)
    huge = him.post(f"/portal/principals/{10**30}/switch/")
    missing = him.post("/portal/principals/987654321/switch/")
    assert huge.status_code == 404 and huge.content == missing.content
