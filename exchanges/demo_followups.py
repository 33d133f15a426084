"""Demo (issue 17 points 4 and 6; demo/world.py calls seed(world) after exchanges.demo): a 追記依頼 NWS turned
down (差戻し), waiting on the dashboard, home and case page to be filed again; and who looked at her — her 担当 and a
colleague who is not, with the reason he gave (the case page's 閲覧記録, the auditor's 閲覧記録（週次）).

Everything goes through the services, as staff and NWS would."""

import datetime

from exchanges.nws import reject_append_request
from exchanges.services import InquiryRequest, send_inquiry
from exchanges.sweep import file_sweep_append_requests
from flags import access_log
from flags.links import link_person
from members.models import Person, Procedure


def seed(world) -> None:
    staff, items, inst = world.staff, world.items, world.institutions
    victim = world.members["victim"]
    case = victim.protection_cases.get()
    # The abuser's brother, asked about before anyone knew he was looking for her: the record names Ａ健保 in his
    # own やりとり履歴. Linked afterwards, the sweep finds it; the 追記依頼 comes back 差戻し from NWS.
    brother = Person.objects.create(sim_id="SIM-JIRO-KOSA", name="佐藤 次郎", kana="サトウ ジロウ",
                                    birth_date=datetime.date(1985, 2, 14))
    record = send_inquiry(actor=staff["a_clerk2"], request=InquiryRequest(
        procedure=Procedure.objects.get(code="kenpo_benefit"), item=items["local_tax"], provider=inst["KO"],
        sim_id=brother.sim_id))
    link_person(actor=staff["a_clerk"], case=case, person=brother,
                reason="加害者の兄。本人の避難先を探していると本人から申出")
    [filed] = file_sweep_append_requests(actor=staff["a_clerk"], case=case, record_ids=[record.pk],
                                         reason="要注意照会対象者の登録前の照会（別紙2 §4）")
    reject_append_request(request_id=filed.pk, reason="依頼に記録の照会日時が記載されていません（シミュレーション）")
    world.followups = {"rejected": record}  # for tests (exchanges.demo's world.exchanges stays its own)

    # Who looked at her: her 担当 (a_clerk, who registered the case) and a colleague who is not (a_clerk2).
    access_log.record_access(actor=staff["a_clerk"], member=victim, channel="設定対象者詳細")
    access_log.record_access(actor=staff["a_clerk2"], member=victim, channel="被保険者詳細",
                             reason="本人の家族を名乗る電話があり、加入の有無を確認")
    world.notes.append(
        "差戻しの追記依頼（佐藤 次郎に係る照会、情報提供NWSの理由付き）と、担当外の職員（a_clerk2）による佐藤 花子さんの"
        "閲覧（理由付き）を作成しました。"
    )
