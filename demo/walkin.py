"""The demo's walk-in (issue 19's intake tour): 伊藤 さくら, an ordinary member of Ａ健保 until today, comes to the
counter. Her husband 伊藤 剛 (not our member) is her 代理人 in マイナポータル, and a clerk once asked 甲市 about his
income without 不開示コード, so his own やりとり履歴 names 「Ａ健康保険組合 業務部」. Nothing protects her yet: the
console's 設定対象者の登録 does it in one form (README, "A guided tour").
"""

import datetime

from exchanges.services import InquiryRequest, register_peer_replica, send_inquiry
from members.models import Person, Procedure
from portal_sim.services import name_proxy

WALKIN = "a5"  # 伊藤 さくら, A0000005 (demo/world.py ORDINARY_A)


def seed(world) -> None:
    her = world.members[WALKIN]
    husband = Person.objects.create(sim_id="SIM-TSUY-ITOU", name="伊藤 剛", kana="イトウ ツヨシ",
                                    birth_date=datetime.date(1978, 8, 20))
    world.persons["walkin_abuser"] = husband  # portal_sim.demo (after this) gives him a card
    register_peer_replica(institution=world.institutions["KO"], person=husband, item=world.items["local_tax"],
                          content={"課税年度": "2025", "所得": "6100000"})
    # 被扶養者の認定 (kenpo_benefit) asked about her husband's income, before anyone knew: no 不開示コード.
    world.exchanges["walkin_danger"] = send_inquiry(actor=world.staff["a_clerk2"], request=InquiryRequest(
        procedure=Procedure.objects.get(code="kenpo_benefit"), item=world.items["local_tax"],
        provider=world.institutions["KO"], sim_id=husband.sim_id,
    ))
    name_proxy(principal=her.person, agent=husband)  # ケース①: he is her 代理人
    world.notes.append(
        f"来所した方: {her.name}（枝番 {her.branch_number}）。夫 {husband.name}（{husband.sim_id}、被保険者でない）が代理人で、"
        "夫に係る照会（不開示コードなし）で夫のやりとり履歴に「Ａ健康保険組合 業務部」が表示されています。"
        "被保険者検索 → 「設定対象者として登録」で保護します。"
    )
