"""The simulation operator: suspend / reissue cards (admin actions, management commands), card_status for the
console's case checklist, and the demo cards."""

import io
import re

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditEntry
from portal_sim import services
from portal_sim.models import Card, Proxy
from portal_sim.selectors import card_status
from tests.portal.helpers import LOGIN, card_for, signed_in


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser(username="ops", password="ops-pw-12345")


@pytest.fixture
def ops_client(operator):
    client = Client()
    client.force_login(operator)
    return client


def _refused(card, pin="1234"):
    html = Client().post(LOGIN, {"card_number": card.card_number, "pin": pin}).content.decode()
    return "このカードは利用が停止されているため、ログインできません。" in html


def test_admin_action_suspends_and_keeps_proxies(ops_client, victim, abuser):
    card = card_for(victim.person)
    services.name_proxy(principal=victim.person, agent=abuser)
    response = ops_client.post(
        "/ops-admin/portal_sim/card/", {"action": "suspend_selected", "_selected_action": [card.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 枚のカードを停止しました。" in response.content.decode()
    assert _refused(card)
    assert Proxy.objects.filter(principal=victim.person, removed_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="card.suspended", target_id=str(card.pk)).exists()


def test_admin_action_reissues_and_shows_the_new_pin_once(ops_client, victim):
    card = card_for(victim.person)
    response = ops_client.post(
        "/ops-admin/portal_sim/card/", {"action": "reissue_selected", "_selected_action": [card.pk]}, follow=True
    )
    html = response.content.decode()
    number, pin = re.search(r"新しいカード識別子 (CARD-[0-9A-F]+) ／ 暗証番号 (\d{4})", html).groups()
    assert _refused(card)
    signed_in(Card.objects.get(card_number=number), pin)


def test_admin_cannot_edit_cards_or_remove_proxies(operator, rf):
    request = rf.get("/")
    request.user = operator
    for model in (Card, Proxy):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    assert "pin_hash" not in str(admin.site._registry[Card].get_fields(request))


def test_suspend_card_command(victim):
    card = card_for(victim.person)
    out = io.StringIO()
    call_command("suspend_card", card.card_number, "--reason", "本人から停止の申出", stdout=out)
    assert f"カード {card.card_number}（佐藤 花子）を停止しました。" in out.getvalue()
    assert _refused(card)
    assert AuditEntry.objects.get(action="card.suspended").message == "本人から停止の申出"


def test_suspend_card_command_by_person_identifier(victim):
    card = card_for(victim.person)
    call_command("suspend_card", victim.person.sim_id, stdout=io.StringIO())
    assert _refused(card)


def test_reissue_card_command_prints_the_new_card_and_pin(victim):
    old = card_for(victim.person)
    out = io.StringIO()
    call_command("reissue_card", old.card_number, stdout=out)
    number = re.search(r"カード識別子: (CARD-[0-9A-F]+)", out.getvalue()).group(1)
    pin = re.search(r"暗証番号: (\d{4})", out.getvalue()).group(1)
    assert _refused(old, "1234")
    signed_in(Card.objects.get(card_number=number), pin)


def test_reissue_card_command_with_a_chosen_pin_and_bad_input(victim):
    card_for(victim.person)
    out = io.StringIO()
    call_command("reissue_card", victim.person.sim_id, "--pin", "4321", stdout=out)
    assert "暗証番号: 4321" in out.getvalue()
    with pytest.raises(CommandError, match="暗証番号は数字4桁です。"):
        call_command("reissue_card", victim.person.sim_id, "--pin", "12", stdout=io.StringIO())
    with pytest.raises(CommandError, match="カードが見つかりません"):
        call_command("suspend_card", "CARD-NONE", stdout=io.StringIO())


def test_card_status_for_the_case_checklist(victim, abuser):
    assert card_status(victim.person).has_card is False
    first = card_for(victim.person)
    services.name_proxy(principal=victim.person, agent=abuser)
    status = card_status(victim.person)
    assert status.usable_card and not status.suspended and status.has_active_proxy
    assert [p.agent_name for p in status.proxies] == ["佐藤 太郎"]

    services.suspend_card(card=first)
    status = card_status(victim.person)
    assert status.suspended and not status.usable_card and status.has_active_proxy  # suspension keeps proxies
    assert status.cards[0].state_label == "停止"
    assert first.card_number not in status.cards[0].masked_number

    services.reissue_card(person=victim.person, pin="9876")
    services.remove_proxy(principal=victim.person, agent=abuser)
    status = card_status(victim.person)
    assert [c.state_label for c in status.cards] == ["利用可", "再交付により失効"]
    assert status.usable_card and not status.has_active_proxy


def test_card_status_query_count(victim, abuser, django_assert_num_queries):
    card_for(victim.person)
    services.name_proxy(principal=victim.person, agent=abuser)
    with django_assert_num_queries(2):
        card_status(victim.person)


def test_pin_must_be_four_digits(victim):
    for bad in ("123", "12345", "abcd", "１２３４"):
        with pytest.raises(ValidationError):
            services.issue_card(person=victim.person, pin=bad)


def test_duplicate_card_number_is_refused_in_japanese(victim, abuser):
    card_for(victim.person, number="CARD-SAME")
    with pytest.raises(ValidationError, match="カード識別子"):
        card_for(abuser, number="CARD-SAME")


def test_lock_is_committed_even_when_the_caller_rolls_back_nothing(victim):
    """Regression: the failed attempt was saved inside the transaction that the refusal rolled back."""
    card = card_for(victim.person)
    for _ in range(3):
        with pytest.raises(services.SignInRefused):
            services.sign_in(card_number=card.card_number, pin="0000")
    card.refresh_from_db()
    assert card.failed_attempts == 3 and card.locked_at is not None
    with pytest.raises(services.SignInRefused) as refused:
        services.sign_in(card_number=card.card_number, pin="1234")
    assert refused.value.code == "locked"
    assert AuditEntry.objects.filter(action="card.locked").count() == 1


def test_demo_seed_gives_cards_proxy_and_one_suspended_card(db):
    from demo.world import build_world

    world = build_world()
    notes = "\n".join(world.notes)
    victim, abuser = world.persons["victim"], world.persons["abuser"]
    assert "CARD-HANA-KOSA   1111  佐藤 花子" in notes and "CARD-TARO-KOSA   2222  佐藤 太郎" in notes
    assert Proxy.objects.filter(principal=victim, agent=abuser, removed_at__isnull=True).exists()
    assert Card.objects.filter(suspended_at__isnull=False).count() == 1
    assert Card.objects.count() == len(world.persons)
    for line in notes.splitlines():
        match = re.match(r"\s+(CARD-\S+)\s+(\d{4})\s+(.*)", line)
        if match and "停止中" not in match.group(3):
            signed_in(Card.objects.get(card_number=match.group(1)), match.group(2))
    suspended = Card.objects.get(suspended_at__isnull=False)
    assert suspended.card_number in notes and _refused(suspended, re.search(
        rf"{suspended.card_number}\s+(\d{{4}})", notes).group(1))


def test_demo_seed_is_deterministic(db):
    """Fixed card identifiers and PINs, so the printed notes match a walkthrough written once."""
    from demo.world import build_world

    notes = build_world().notes
    start = next(i for i, line in enumerate(notes) if line.startswith("  CARD-"))
    assert notes[start:start + 3] == [
        "  CARD-HANA-KOSA   1111  佐藤 花子（被害者・設定対象者）",
        "  CARD-TARO-KOSA   2222  佐藤 太郎（加害者・被害者と子の代理人）",
        "  CARD-SAKU-KOSA   3333  佐藤 さくら（被害者の子・同伴者）",
    ]
