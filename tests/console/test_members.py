"""被保険者検索 and 被保険者詳細: search by 枝番 / 氏名 / カナ / 記号・番号, settings and history, setting a flag,
asking to clear one; every view of a protected person is audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from flags.models import ClearingRequest, Setting
from flags.policy import SettingKind
from flags.services import set_setting
from tests import factories as f


@pytest.fixture
def members(insurer_a, insurer_b):
    return {
        "suzuki": f.MemberFactory(insurer=insurer_a, branch_number="A0000010", name="鈴木 一郎", kana="スズキ イチロウ",
                                  symbol_number="記号12 番号1010"),
        "sato": f.MemberFactory(insurer=insurer_a, branch_number="A0000011", name="佐藤 次郎", kana="サトウ ジロウ",
                                symbol_number="記号12 番号1011"),
        "other": f.MemberFactory(insurer=insurer_b, branch_number="A0000010", name="鈴木 一子", kana="スズキ イチコ"),
    }


def _search(client, **params):
    return client.get(reverse("console:member_search"), params)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"branch_number": "A0000010"}, ["鈴木 一郎"]),
        ({"branch_number": "ａ０００００１０"}, ["鈴木 一郎"]),  # full-width input is normalised
        ({"branch_number": "A00000"}, []),  # 枝番 is exact
        ({"name": "一郎"}, ["鈴木 一郎"]),
        ({"kana": "スズキ"}, ["鈴木 一郎"]),
        ({"kana": "すずき"}, ["鈴木 一郎"]),  # ひらがな → カタカナ
        ({"kana": "ｻﾄｳ"}, ["佐藤 次郎"]),  # 半角カナ
        ({"kana": "イチロウ"}, ["鈴木 一郎"]),  # contains: the given name alone finds him (issue 12)
        ({"symbol_number": "記号12 番号1011"}, ["佐藤 次郎"]),
    ],
)
def test_search_finds_only_our_members(params, expected, members, alice, as_user):
    response = _search(as_user(alice), **params)
    assert response.status_code == 200
    found = [m.name for m in response.context["results"]]
    assert found == expected
    assert "鈴木 一子" not in response.content.decode()  # insurer B's member with the same 枝番


def test_search_without_criteria_says_so_in_japanese(members, alice, as_user):
    response = _search(as_user(alice), name="  ")
    assert "検索条件を1つ以上入力してください。" in response.content.decode()
    assert response.context["results"] is None


def test_search_marks_protected_members(scene, alice, as_user):
    body = _search(as_user(alice), kana="サトウ").content.decode()
    assert "設定あり" in body


def test_member_detail_shows_settings_history_and_effects(scene, alice, as_user):
    body = as_user(alice).get(reverse("console:member_detail", args=[scene.victim.pk])).content.decode()
    assert "不開示該当フラグ" in body and "自己情報提供不可フラグ" in body
    assert "承認待ちの解除依頼あり" in body  # the scene's pending clearing request
    assert "やりとり履歴に表示されません。" in body  # 別紙1 effect beside the form
    assert "設定対象者として登録する" in body


def test_viewing_a_protected_member_is_audited_an_ordinary_one_is_not(scene, members, alice, as_user):
    client = as_user(alice)
    client.get(reverse("console:member_detail", args=[scene.victim.pk]))
    entry = AuditEntry.objects.get(action="protected.viewed")
    assert entry.actor == alice and entry.target_id == str(scene.victim.pk) and entry.message == "被保険者詳細"
    client.get(reverse("console:member_detail", args=[members["suzuki"].pk]))
    assert AuditEntry.objects.filter(action="protected.viewed").count() == 1


def test_member_with_only_an_item_setting_counts_as_protected(members, alice, items, as_user):
    set_setting(actor=alice, member=members["suzuki"], kind=SettingKind.NO_SELF_INFO, item=items["medical_eligibility"],
                reason="申出")
    as_user(alice).get(reverse("console:member_detail", args=[members["suzuki"].pk]))
    assert AuditEntry.objects.filter(action="protected.viewed", target_id=str(members["suzuki"].pk)).exists()


def test_clerk_sets_an_item_level_setting(members, alice, items, as_user):
    member = members["suzuki"]
    response = as_user(alice).post(reverse("console:member_detail", args=[member.pk]), {
        "kind": "no_self_info", "item": items["medical_eligibility"].pk, "reason": "本人の申出", "confirmed": "1",
    })
    assert response.status_code == 302
    setting = Setting.objects.get(member=member)
    assert setting.kind == SettingKind.NO_SELF_INFO and setting.item == items["medical_eligibility"]
    assert setting.set_by == alice and setting.reason == "本人の申出"
    assert AuditEntry.objects.filter(action="setting.set", actor=alice).exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "no_self_info", "reason": ""}, "設定理由を入力してください。"),
        ({"kind": "everything", "reason": "x"}, "設定種別を選んでください。"),
        ({"kind": "no_self_info", "item": "999999", "reason": "x"}, "特定個人情報を選び直してください。"),
    ],
)
def test_bad_setting_input_is_refused_in_japanese_and_nothing_is_written(data, message, members, alice, as_user):
    response = as_user(alice).post(reverse("console:member_detail", args=[members["suzuki"].pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Setting.objects.exists()
    assert not AuditEntry.objects.filter(action="setting.set").exists()


def test_duplicate_setting_is_refused(scene, alice, as_user):
    response = as_user(alice).post(reverse("console:member_detail", args=[scene.victim.pk]), {
        "kind": "non_disclosure", "reason": "もう一度", "confirmed": "1",
    })
    assert response.status_code == 400
    assert "不開示該当フラグ（全体）はすでに設定されています。" in response.content.decode()
    assert Setting.objects.filter(member=scene.victim, kind="non_disclosure").count() == 1


def test_clerk_requests_clearing_and_the_setting_stays_in_force(scene, alice, as_user):
    setting = Setting.objects.get(member=scene.victim, kind=SettingKind.NO_SELF_INFO)
    url = reverse("console:setting_request_clearing", args=[setting.pk])
    assert "解除理由" in as_user(alice).get(url).content.decode()
    response = as_user(alice).post(url, {"reason": "カード停止の完了を確認した"})
    assert response.status_code == 302
    request = ClearingRequest.objects.get(setting=setting)
    assert request.state == "pending" and request.requested_by == alice
    setting.refresh_from_db()
    assert setting.is_active


def test_clearing_request_needs_a_reason_and_refuses_a_second_one(scene, alice, as_user):
    url = reverse("console:setting_request_clearing", args=[scene.setting.pk])
    response = as_user(alice).post(url, {"reason": ""})
    assert response.status_code == 400 and "解除理由を入力してください。" in response.content.decode()
    response = as_user(alice).post(url, {"reason": "二度目"})
    assert response.status_code == 400
    assert "この設定にはすでに承認待ちの解除依頼があります。" in response.content.decode()
    assert ClearingRequest.objects.filter(setting=scene.setting).count() == 1


def test_home_shows_counts_and_role_specific_links(scene, alice, audrey, as_user):
    response = as_user(alice).get(reverse("console:home"))
    assert response.context["open_cases"] == 2 and response.context["manual_count"] == 1
    body = response.content.decode()
    assert "情報照会を行う" in body and "監査証跡" not in body and "設定CSV" not in body
    body = as_user(audrey).get(reverse("console:home")).content.decode()
    assert "監査者は閲覧のみできます。" in body and "監査証跡" in body and "情報照会</a>" not in body


def test_supervisor_nav_links_to_the_csv_pages(sam, as_user):
    body = as_user(sam).get(reverse("console:home")).content.decode()
    assert 'href="/settings-csv/"' in body
