"""Management commands: send_inquiry (an entry point of the choke point), peer_inquiry and peer_set_flag."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from exchanges.models import ExchangeRecord, ExchangeState
from flags import selectors as flag_selectors
from flags.models import Setting, SettingSource
from flags.policy import SettingKind


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_inquiry_about_the_abuser_with_code_by_hand(abuser, city_data, city_ko, alice):
    out = run(
        "send_inquiry", "--staff", "alice", "--person", abuser.sim_id.lower(), "--procedure", "kenpo_benefit",
        "--item", "local_tax", "--provider", "甲市", "--nondisclosure-code",
    )
    record = ExchangeRecord.objects.get()
    assert (record.subject, record.inquiry_code_source, record.inquiry_code_by) == (abuser, "manual", alice)
    assert "情報照会を送信しました。" in out and "【取り扱い注意】" in out and "照会時（手動設定）" in out
    assert "Ａ健康保険組合 業務部" in out and str(record.pk) in out


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "control_not_linked"])
def test_bessi3_4_command_without_code_about_linked_abuser_his_history_names_no_insurer(
    linked, victim, abuser, city_data, city_ko, alice
):
    """別紙3 ④ by the command, no --nondisclosure-code: linked to her case, he sees nothing in his やりとり履歴 that
    names the insurer; not linked, he sees 「Ａ健康保険組合 業務部」."""
    from flags.services import open_protection_case
    from tests.portal.helpers import HISTORY, main_of, page, person_portal

    open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                         requested_by_person=True, case_inquiry_about_abuser=True,
                         linked_persons=[abuser] if linked else [])
    out = run(
        "send_inquiry", "--staff", "alice", "--person", abuser.sim_id, "--procedure", "kenpo_benefit",
        "--item", "local_tax", "--provider", "甲市",
    )
    record = ExchangeRecord.objects.get()
    assert record.state == ExchangeState.PROVIDED
    his = main_of(page(person_portal(abuser), HISTORY))
    if linked:
        assert record.inquiry_code_source == "linked" and "照会時（要注意照会対象）" in out
        assert "Ａ健康保険組合" not in his and "業務部" not in his
    else:
        assert not record.inquiry_code
        assert "Ａ健康保険組合 業務部" in his


def test_send_inquiry_about_flagged_member_by_branch_is_coded_automatically(victim, city_data, city_ko, flag):
    flag(victim)
    out = run(
        "send_inquiry", "--staff", "alice", "--branch", "A0000001", "--procedure", "kenpo_benefit",
        "--item", "local_tax", "--provider", str(city_ko.pk),
    )
    assert ExchangeRecord.objects.get().inquiry_code_source == "auto" and "照会時（自動設定）" in out


def test_send_inquiry_fail_closed_shows_the_japanese_reason(victim, city_data, city_ko, alice, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(flag_selectors, "both_sides", broken)
    with pytest.raises(CommandError, match="不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。"):
        run(
            "send_inquiry", "--staff", "alice", "--branch", "A0000001", "--procedure", "kenpo_benefit",
            "--item", "local_tax", "--provider", "甲市",
        )
    assert ExchangeRecord.objects.count() == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--staff", "nobody", "--branch", "A0000001"], "保険者の職員「nobody」が見つかりません。"),
        (["--staff", "alice", "--branch", "Z9"], "被保険者枝番「Z9」の被保険者はいません。"),
        (["--staff", "alice", "--person", "SIM-NONE-NONE"], "個人識別子に該当する個人が見つかりません。"),
        (["--staff", "audrey", "--branch", "A0000001"], "この操作を行う権限がありません。"),
        (["--staff", "bob", "--branch", "A0000001"], "被保険者枝番「A0000001」の被保険者はいません。"),
    ],
    ids=["unknown_staff", "unknown_branch", "unknown_person", "auditor", "other_insurers_member"],
)
def test_send_inquiry_refusals_are_japanese(victim, city_ko, alice, audrey, bob, args, message):
    with pytest.raises(CommandError, match=message):
        run("send_inquiry", *args, "--procedure", "kenpo_benefit", "--item", "local_tax", "--provider", "甲市")
    assert ExchangeRecord.objects.count() == 0


def test_send_inquiry_refuses_an_item_the_procedure_does_not_allow(victim, city_ko, alice):
    with pytest.raises(CommandError, match="では特定個人情報「医療保険資格関係情報」を照会できません"):
        run(
            "send_inquiry", "--staff", "alice", "--branch", "A0000001", "--procedure", "koki_premium",
            "--item", "medical_eligibility", "--provider", "甲市",
        )


def test_peer_inquiry_plays_1_1_against_a_flagged_member(victim, city_otsu, flag):
    flag(victim)
    out = run(
        "peer_inquiry", "--from", "乙市", "--department", "福祉課", "--to", victim.insurer.insurer_number,
        "--branch", "A0000001", "--procedure", "welfare", "--item", "medical_eligibility",
    )
    record = ExchangeRecord.objects.get()
    assert (record.inquirer, record.inquirer_department_display, record.provision_code_source) == (
        city_otsu, "福祉課", "auto",
    )
    assert "乙市 からの情報照会を Ａ健康保険組合 が受信しました。" in out and "提供時（自動設定）" in out


def test_peer_inquiry_plays_3_into_the_manual_queue(victim, city_ko, flag, items):
    flag(victim, SettingKind.NO_AUTO_RESPONSE, items["medical_eligibility"])
    out = run(
        "peer_inquiry", "--from", "甲市", "--to", "Ａ健康保険組合", "--person", victim.person.sim_id,
        "--procedure", "local_tax_levy", "--item", "medical_eligibility",
    )
    assert ExchangeRecord.objects.get().state == ExchangeState.MANUAL and "手動応答待ち" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "Ａ健康保険組合", "--to", "甲市"], "send_inquiry で行ってください"),
        (["--from", "無名市", "--to", "Ａ健康保険組合"], "照会機関「無名市」が見つかりません"),
        (["--from", "乙市", "--department", "人事課", "--to", "Ａ健康保険組合"], "乙市 に部署「人事課」はありません。"),
    ],
    ids=["tenant_as_peer", "unknown_peer", "unknown_department"],
)
def test_peer_inquiry_refusals(victim, city_ko, city_otsu, args, message):
    with pytest.raises(CommandError, match=message):
        run(
            "peer_inquiry", *args, "--person", victim.person.sim_id, "--procedure", "welfare",
            "--item", "medical_eligibility",
        )


def test_peer_inquiry_about_a_non_member_is_refused(abuser, insurer_a, city_otsu):
    with pytest.raises(CommandError, match="被保険者資格がありません"):
        run(
            "peer_inquiry", "--from", "乙市", "--to", "Ａ健康保険組合", "--person", abuser.sim_id,
            "--procedure", "welfare", "--item", "medical_eligibility",
        )


def test_peer_set_flag_then_the_city_codes_its_provision(victim, city_data, city_otsu, ask):
    out = run("peer_set_flag", "--institution", "乙市", "--person", victim.person.sim_id, "--reason", "住民の申出")
    setting = Setting.objects.get(institution=city_otsu)
    assert (setting.person, setting.kind, setting.source, setting.member) == (
        victim.person, SettingKind.NON_DISCLOSURE, SettingSource.PEER, None,
    )
    assert "乙市 が 佐藤 花子 に不開示該当フラグ（個人単位）を設定しました。" in out
    assert ask(city_otsu, member=victim, item="resident_record").provision_code_source == "auto"


def test_peer_set_flag_refuses_our_insurer(victim):
    with pytest.raises(CommandError, match="Nakama 利用保険者です"):
        run("peer_set_flag", "--institution", "Ａ健康保険組合", "--person", victim.person.sim_id)
