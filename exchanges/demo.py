"""Demo exchanges (demo/world.py calls seed(world)): every kind of record, the same every time.

All of it goes through the services, exactly as staff, peers and NWS would: no record is written directly.
"""

import datetime

from exchanges.models import ExchangeRecord
from exchanges.nws import process_pending_append_requests
from exchanges.services import (
    InquiryRequest,
    approve_manual_response,
    decline_manual_response,
    file_append_request,
    receive_inquiry,
    register_peer_replica,
    send_inquiry,
)
from flags.links import link_person
from flags.policy import SettingKind
from flags.services import set_peer_setting
from members.models import Procedure
from members.services import record_loss


def seed(world) -> dict[str, ExchangeRecord]:
    inst, dept, staff, items = world.institutions, world.departments, world.staff, world.items
    procedures = {p.code: p for p in Procedure.objects.all()}
    members, persons = world.members, world.persons
    victim, abuser, a3 = members["victim"], persons["abuser"], members["a3"]
    ko, otsu, kyokai = inst["KO"], inst["OTSU"], inst["K"]
    records: dict[str, ExchangeRecord] = {}

    def ask(key, actor, provider, *, item, procedure="kenpo_benefit", member=None, sim_id=None, code=False):
        request = InquiryRequest(
            procedure=procedures[procedure], item=items[item], provider=provider, member=member, sim_id=sim_id,
            nondisclosure_code=code,
        )
        records[key] = send_inquiry(actor=actor, request=request)
        return records[key]

    def peer(key, inquirer, department, provider, subject, *, item, procedure):
        records[key] = receive_inquiry(
            inquirer=inquirer, department=dept.get(department), provider=provider, subject=subject,
            procedure=procedures[procedure], item=items[item],
        )
        return records[key]

    # What the municipalities answer from: 甲市 (避難元) has both spouses' taxes, 乙市 (避難先) her new address.
    tax = items["local_tax"]
    register_peer_replica(institution=ko, person=victim.person, item=tax, content={"課税年度": "2025", "所得": "1800000"})
    register_peer_replica(institution=ko, person=abuser, item=tax, content={"課税年度": "2025", "所得": "5200000"})
    register_peer_replica(institution=ko, person=members["a4"].person, item=tax, content={"課税年度": "2025", "所得": "3600000"})
    register_peer_replica(institution=ko, person=members["b1"].person, item=tax, content={"課税年度": "2025", "所得": "1900000"})
    register_peer_replica(
        institution=otsu, person=victim.person, item=items["resident_record"], content={"住所": "乙市 若葉町3-2-1"}
    )
    # 別添 ① 2/4: 乙市 flags her too; the 自治体中間サーバー codes its provisions, not its inquiries.
    set_peer_setting(institution=otsu, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="住民の申出（DV）")

    # Ordinary exchanges, shown in やりとり履歴 (別添 ① 4/4).
    peer("visible_received", otsu, "OTSU_fukushi", inst["A"], members["a2"].person,
         item="medical_eligibility", procedure="welfare")
    ask("visible_sent", staff["a_clerk"], ko, member=members["a4"], item="local_tax")
    ask("b_visible_sent", staff["b_clerk"], ko, member=members["b1"], item="local_tax", procedure="koki_premium")

    # 別紙3 ①-1: 乙市 asks about her, our answer carries 不開示コード (自動).
    peer("case_1_1", otsu, "OTSU_fukushi", inst["A"], victim.person, item="medical_eligibility", procedure="welfare")
    # 別紙3 ①-2: our inquiry about her carries 不開示コード (自動) — renewal ①.
    ask("case_1_2", staff["a_clerk"], ko, member=victim, item="local_tax")
    # 別添 ① 2/4 with both flags: our inquiry coded by us, 乙市's answer coded by 乙市.
    ask("both_coded", staff["a_clerk"], otsu, member=victim, item="resident_record")
    # Case ② danger, before the abuser was linked to her case: an inquiry about him without 不開示コード — his
    # やりとり履歴 shows 「Ａ健康保険組合 業務部」.
    ask("case_2_danger", staff["a_clerk2"], ko, sim_id=abuser.sim_id, item="local_tax")
    # ... and one like it that a 追記依頼 hid after the fact (別紙2 §4).
    ask("appended", staff["a_clerk2"], ko, sim_id=abuser.sim_id, item="local_tax", procedure="kokuho_benefit")
    file_append_request(actor=staff["a_super"], record=records["appended"], reason="加害者に係る照会に不開示コードの設定漏れ（ケース②）")
    # The simulated NWS processes it (処理済) ...
    process_pending_append_requests()
    # ... while this one waits (依頼中): the record is still shown until NWS processes it (console: 「処理中」).
    file_append_request(actor=staff["a_clerk"], record=records["case_2_danger"],
                        reason="加害者に係る照会に不開示コードの設定漏れ（ケース②）")
    # 別紙3 ④: staff link him to her case (要注意照会対象); from then on every inquiry about him carries 不開示コード,
    # here one sent without ticking it.
    link_person(actor=staff["a_clerk"], case=victim.protection_cases.get(), person=abuser,
                reason="加害者。照会のたびの不開示コードの設定漏れを防ぐため（別紙2 ケース②）")
    ask("case_4_linked", staff["a_clerk"], ko, sim_id=abuser.sim_id, item="local_tax")

    # 別紙3 ③: a3 left on 7/1, the 副本 still shows no 資格喪失日; 自動応答不可 holds inquiries for a clerk.
    record_loss(actor=staff["a_clerk"], member=a3, lost_on=datetime.date(2026, 7, 1))
    answered = peer("case_3_corrected", ko, "KO_zeimu", inst["A"], a3.person, item="medical_eligibility",
                    procedure="local_tax_levy")
    content = {**a3.replicas.order_by("-registered_at", "-id").first().content, "資格喪失日": "2026-07-01"}
    approve_manual_response(actor=staff["a_super"], record=answered, content=content)
    declined = peer("case_3_declined", kyokai, "K_shikaku", inst["A"], a3.person, item="medical_eligibility",
                    procedure="eligibility_check")
    decline_manual_response(actor=staff["a_clerk"], record=declined, reason="資格喪失済み。照会元へ電話で連絡した。")
    peer("case_3_waiting", otsu, "OTSU_fukushi", inst["A"], a3.person, item="medical_eligibility", procedure="welfare")

    for record in records.values():
        record.refresh_from_db()
    world.exchanges = records  # for later extensions (portal_sim.demo) and tests
    world.notes.append(
        "情報提供等記録: 表示される記録・不開示コード付き（①-1, ①-2, ④）・手動応答待ち（a3, 自動応答不可）・"
        "提供せず・追記依頼で非表示（NWS処理済）・加害者照会のコードなし（ケース②の危険、要注意照会対象の登録前。追記依頼はNWS処理待ち）・"
        "要注意照会対象として登録した加害者への照会（不開示コード自動）を作成しました。"
    )
    return records
