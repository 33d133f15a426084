"""あなたの情報 (自己情報): grouped by section; a 副本 under 自己情報提供不可 adds nothing; 「回答なし」 is the same
bytes and the same number of queries whether the data was hidden or never existed."""

import datetime

from django.utils import timezone

from flags.policy import SettingKind
from flags.services import set_setting
from portal_sim import services
from tests import factories as f
from tests.portal.helpers import SELF_INFO, act_for, card_for, main_of, page, person_portal, signed_in, without_name


def _portal_of(person, pin="1234"):
    return person_portal(person, pin)


def test_shows_the_latest_replica_grouped_under_its_section_in_a_fixed_field_order(victim, alice, items):
    later = timezone.now() + datetime.timedelta(minutes=1)
    f.ReplicaFactory(
        member=victim, registered_at=later,
        content={"資格喪失日": "2026-07-01", "保険者名称": "Ａ健康保険組合", "資格取得日": "2024-04-01",
                 "保険者番号": victim.insurer.insurer_number, "記号・番号": "記号1 番号9"},
    )
    html = main_of(page(_portal_of(victim.person), SELF_INFO))
    assert "<h2>健康保険</h2>" in html
    assert "<caption>医療保険資格関係情報</caption>" in html
    labels = ["保険者名称", "保険者番号", "記号・番号", "資格取得日", "資格喪失日"]
    positions = [html.index(f"<th scope=\"row\">{label}</th>") for label in labels]
    assert positions == sorted(positions)
    assert "令和8年7月1日" in html and "記号1 番号9" in html  # the latest registration answers
    assert "回答なし" not in html


def test_person_without_replica_reads_no_answer(db):
    html = main_of(page(_portal_of(f.PersonFactory()), SELF_INFO))
    assert "<h2>健康保険</h2>" in html
    assert '<p class="portal-no-answer">回答なし</p>' in html


def test_no_self_info_hides_the_insurer_entirely(victim, alice):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    html = page(_portal_of(victim.person), SELF_INFO)
    assert "回答なし" in html
    for leak in ("Ａ健康保険組合", victim.insurer.insurer_number, "保険者名称", "医療保険資格関係情報", "記号"):
        assert leak not in html


def test_item_level_no_self_info_for_another_item_does_not_hide(victim, alice, items):
    set_setting(
        actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, item=items["medical_benefit"], reason="給付のみ"
    )
    html = page(_portal_of(victim.person), SELF_INFO)
    assert "Ａ健康保険組合" in html and "回答なし" not in html


def test_hidden_reads_like_absent_in_bytes_and_in_queries(victim, alice, django_assert_num_queries):
    """別紙1 ※3: 「回答なし」. Hiding must not be told from having nothing (SPEC: product decision)."""
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    nobody = f.PersonFactory(name="山田 一郎")
    hidden_client, absent_client = _portal_of(victim.person), _portal_of(nobody)

    with django_assert_num_queries(4):  # session, card + holder, 副本, settings
        hidden = hidden_client.get(SELF_INFO).content.decode()
    with django_assert_num_queries(4):
        absent = absent_client.get(SELF_INFO).content.decode()

    assert without_name(hidden, "佐藤 花子") == without_name(absent, "山田 一郎")


def test_visible_data_takes_the_same_number_of_queries(victim, django_assert_num_queries):
    client = _portal_of(victim.person)
    with django_assert_num_queries(4):
        html = client.get(SELF_INFO).content.decode()
    assert "Ａ健康保険組合" in html


def test_another_insurers_flag_hides_only_its_own_replica(victim, alice, bob, insurer_b):
    """別紙3 ②: B (避難先, a 広域連合 whose name tells the prefecture) is hidden; A (避難元) still answers."""
    member_b = f.MemberFactory(insurer=insurer_b, person=victim.person)
    f.ReplicaFactory(member=member_b)
    set_setting(actor=bob, member=member_b, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    html = page(_portal_of(victim.person), SELF_INFO)
    assert "Ａ健康保険組合" in html
    assert "Ｂ県" not in html and insurer_b.insurer_number not in html
    assert html.count("<caption>") == 1


def test_hiding_one_of_several_leaves_no_empty_slot(victim, bob, insurer_b):
    """The rows that remain look exactly like a person who only ever had those rows."""
    member_b = f.MemberFactory(insurer=insurer_b, person=victim.person)
    f.ReplicaFactory(member=member_b)
    set_setting(actor=bob, member=member_b, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    other = f.PersonFactory(name="山田 一郎")
    member = f.MemberFactory(insurer=victim.insurer, person=other, symbol_number=victim.symbol_number)
    f.ReplicaFactory(member=member, content=dict(victim.replicas.first().content))
    hidden = page(_portal_of(victim.person), SELF_INFO)
    plain = page(_portal_of(other), SELF_INFO)
    assert without_name(hidden, "佐藤 花子") == without_name(plain, "山田 一郎")


def test_proxy_view_of_hidden_and_absent_is_the_same_too(victim, alice, abuser, django_assert_num_queries):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    nobody = f.PersonFactory(name="山田 一郎")
    for principal in (victim.person, nobody):
        services.name_proxy(principal=principal, agent=abuser)
    his_card, viewers = card_for(abuser, "2222"), []
    for principal in (victim.person, nobody):
        client = signed_in(his_card, "2222")
        act_for(client, principal)
        viewers.append(client)
    bodies = []
    for client in viewers:
        with django_assert_num_queries(5):  # session, card + holder, proxy + principal, 副本, settings
            bodies.append(client.get(SELF_INFO).content.decode())
    assert without_name(bodies[0], "佐藤 花子") == without_name(bodies[1], "山田 一郎")
