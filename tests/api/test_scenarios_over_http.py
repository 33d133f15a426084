"""別紙3 ①-1, ①-2, ②, ③, ④ replayed entirely over HTTP: the world is built through /api/sim/ from an empty
database, the insurer's steps go through /api/v1/ with its staff tokens, and the result is read from the simulated
マイナポータル as JSON — by the victim, by whoever holds her card (the abuser, case ①), by her proxy (the abuser,
case ①) and, in ④, by the abuser looking at his own やりとり履歴. Each scenario has its control case without the
setting, which shows the leak the setting prevents. No ORM call except to check the database starts empty."""

import datetime

import pytest
from rest_framework.test import APIClient

from institutions.models import Institution
from members.models import Person

FUND = "社会保険診療報酬支払基金"
NO_ANSWER = "回答なし"


class Sim:
    """An outside client replaying the scenarios: only HTTP."""

    def __init__(self, sim_headers):
        self.http = APIClient()
        self.http.credentials(**sim_headers)  # the simulation key, on every /api/sim/ call

    def post(self, path, body, status=201, client=None):
        response = (client or self.http).post(path, body, format="json")
        assert response.status_code == status, (path, response.status_code, response.content[:600])
        return response.json() if response.content else None

    def get(self, path, client, status=200):
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code, response.content[:600])
        return response.json()

    def staff_client(self, insurer_id, username, role, department):
        body = self.post(f"/api/sim/insurers/{insurer_id}/staff/",
                         {"username": username, "display_name": username, "department": department, "role": role})
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
        return client

    def portal(self, card, pin, principal=None, status=200):
        body = {"card_number": card, "pin": pin}
        if principal:
            body["principal_sim_id"] = principal
        response = self.http.post("/api/sim/portal/", body, format="json")
        assert response.status_code == status, response.content[:600]
        return response.json()


@pytest.fixture
def world(db, settings, sim_on):
    """甲市 (where the abuser lives), 乙市 (where the victim fled), Ａ健康保険組合 (her new insurer) with a clerk and two
    supervisors; the victim with her card, which stayed with the abuser, who is also her proxy (別紙2 ケース①)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert not Institution.objects.exists() and not Person.objects.exists()  # an empty world
    sim = Sim(sim_on)
    a = sim.post("/api/sim/insurers/", {"name": "Ａ健康保険組合", "kind": "kenpo_kumiai", "insurer_number": "06131239",
                                        "departments": ["業務部"]})
    ko = sim.post("/api/sim/municipalities/", {"name": "甲市", "departments": ["税務課"]})
    otsu = sim.post("/api/sim/municipalities/", {"name": "乙市", "departments": ["福祉課"]})
    clerk = sim.staff_client(a["id"], "a_clerk", "clerk", "業務部")
    supervisor = sim.staff_client(a["id"], "a_super", "supervisor", "業務部")
    supervisor2 = sim.staff_client(a["id"], "a_super2", "supervisor", "業務部")
    victim = sim.post("/api/sim/persons/", {"name": "佐藤 花子", "kana": "サトウ ハナコ", "birth_date": "1990-05-12",
                                            "pin": "1111"})
    abuser = sim.post("/api/sim/persons/", {"name": "佐藤 太郎", "kana": "サトウ タロウ", "birth_date": "1987-02-03",
                                            "pin": "2222"})
    # Before fleeing, she named him her proxy in マイナポータル.
    sim.post("/api/sim/portal/proxies/", {"card_number": victim["card_number"], "pin": "1111",
                                          "agent_sim_id": abuser["sim_id"]})
    # 加入手続 at insurer A (her new insurer): the clerk enrols her and registers the 資格 副本 naming insurer A.
    sim.post("/api/v1/members/enrol/", {"sim_id": victim["sim_id"], "branch_number": "A0000001",
                                        "symbol_number": "記号12 番号3456", "acquired_on": "2026-04-01"}, client=clerk)
    sim.post("/api/v1/members/A0000001/replicas/", {"item": "medical_eligibility", "content": {
        "保険者名称": "Ａ健康保険組合", "保険者番号": "06131239", "記号・番号": "記号12 番号3456",
        "資格取得日": "2026-04-01", "資格喪失日": None}}, client=clerk)
    # 甲市's 地方税 副本 of both, so inquiries to it are answered.
    for person in (victim, abuser):
        sim.post(f"/api/sim/institutions/{ko['id']}/replicas/",
                 {"sim_id": person["sim_id"], "item": "local_tax", "content": {"所得割額": 120000}})
    return {"sim": sim, "a": a, "ko": ko, "otsu": otsu, "clerk": clerk, "supervisor": supervisor,
            "supervisor2": supervisor2, "victim": victim, "abuser": abuser}


def views_of_victim(w) -> list[dict]:
    """What the victim sees, what whoever holds her card sees, and what her proxy sees: all three must agree."""
    sim, victim, abuser = w["sim"], w["victim"], w["abuser"]
    own = sim.portal(victim["card_number"], "1111")
    card_holder = sim.portal(victim["card_number"], "1111")  # the card stayed with the abuser (ケース①)
    as_proxy = sim.portal(abuser["card_number"], "2222", principal=victim["sim_id"])
    assert as_proxy["as_proxy"] is True and as_proxy["subject"]["sim_id"] == victim["sim_id"]
    for view in (card_holder, as_proxy):
        assert view["self_information"] == own["self_information"]
        assert view["history"] == own["history"]
    return [own, card_holder, as_proxy]


def history_text(view) -> str:
    return str(view["history"])


def set_flag(w, kind, reason="DV被害の申出（別紙2）"):
    return w["sim"].post("/api/v1/settings/set/", {"member": "A0000001", "kind": kind, "reason": reason},
                         client=w["clerk"])


def no_count(view):
    """やりとり履歴 carries no totals: a count would tell that hidden records exist. (next_cursor depends on shown
    records only: tests/portal/test_history_paging.py.)"""
    assert set(view) == {"viewer", "subject", "as_proxy", "can_act_for", "self_information", "history", "next_cursor"}
    assert all(isinstance(row, dict) and "count" not in row for row in view["history"])


# ①-1 不開示該当フラグ（情報提供時）: 乙市 asks insurer A about her; the record would name 乙市 and the fund.


def test_scenario_1_1_control_without_flag_the_provision_is_shown_to_whoever_holds_her_card(world):
    w = world
    record = w["sim"].post(f"/api/sim/institutions/{w['otsu']['id']}/inquiries/", {
        "department": "福祉課", "provider": w["a"]["id"], "sim_id": w["victim"]["sim_id"],
        "procedure": "welfare", "item": "medical_eligibility"})
    assert record["state"] == "provided" and record["provision_code"] is False
    for view in views_of_victim(w):
        no_count(view)
        assert len(view["history"]) == 1
        row = view["history"][0]
        assert row["inquirer"] == "乙市" and row["provider"] == FUND  # 乙市: where she fled


def test_scenario_1_1_flag_at_provision_attaches_code_and_hides_the_record(world):
    w = world
    set_flag(w, "non_disclosure")
    record = w["sim"].post(f"/api/sim/institutions/{w['otsu']['id']}/inquiries/", {
        "department": "福祉課", "provider": w["a"]["id"], "sim_id": w["victim"]["sim_id"],
        "procedure": "welfare", "item": "medical_eligibility"})
    assert record["state"] == "provided" and record["provision_code"] is True  # 自動で設定
    for view in views_of_victim(w):
        no_count(view)
        assert view["history"] == []
        assert "乙市" not in str(view)
        # 不開示該当 leaves 自己情報 unaffected (別紙1).
        assert view["self_information"][0]["rows"][0]["content"]["保険者名称"] == "Ａ健康保険組合"
    # Staff see it marked 取り扱い注意.
    staff_view = w["sim"].get(f"/api/v1/exchanges/{record['id']}/", w["clerk"])
    assert staff_view["handle_with_care"] is True and staff_view["provision_code_source"] == "auto"


# ①-2 不開示該当フラグ（情報照会時）: insurer A asks 甲市 (where the abuser lives) about her.


def _inquire_about_victim(w):
    return w["sim"].post("/api/v1/inquiries/", {"procedure": "kenpo_benefit", "item": "local_tax",
                                                 "provider": w["ko"]["id"], "member": "A0000001"}, client=w["clerk"])


def test_scenario_1_2_control_without_flag_the_inquiry_names_insurer_a_in_her_history(world):
    w = world
    record = _inquire_about_victim(w)
    assert record["inquiry_code"] is False and record["state"] == "provided"
    for view in views_of_victim(w):
        assert len(view["history"]) == 1
        row = view["history"][0]
        # The leak: 情報照会者部署名 shows her new insurer (renewal ②).
        assert row["inquirer"] == FUND and row["inquirer_department"] == "Ａ健康保険組合 業務部"


def test_scenario_1_2_flag_at_inquiry_attaches_code_automatically_and_hides_the_record(world):
    w = world
    set_flag(w, "non_disclosure")
    record = _inquire_about_victim(w)
    assert record["inquiry_code"] is True and record["inquiry_code_source"] == "auto"  # renewal ①
    assert record["handle_with_care"] is True
    for view in views_of_victim(w):
        no_count(view)
        assert view["history"] == []
        assert "業務部" not in history_text(view)


# ② 自己情報提供不可フラグ: her new insurer B (a 広域連合, which names the prefecture) in 自己情報.


@pytest.fixture
def world_b(world):
    w = world
    b = w["sim"].post("/api/sim/insurers/", {"name": "Ｂ県後期高齢者医療広域連合", "kind": "koki_kourei",
                                             "insurer_number": "39130018", "departments": ["資格保険料課"]})
    w["b"] = b
    w["b_clerk"] = w["sim"].staff_client(b["id"], "b_clerk", "clerk", "資格保険料課")
    w["sim"].post("/api/v1/members/enrol/", {"sim_id": w["victim"]["sim_id"], "branch_number": "B0000001",
                                             "acquired_on": "2026-05-01"}, client=w["b_clerk"])
    w["sim"].post("/api/v1/members/B0000001/replicas/", {"item": "medical_eligibility", "content": {
        "保険者名称": "Ｂ県後期高齢者医療広域連合", "保険者番号": "39130018", "資格取得日": "2026-05-01",
        "資格喪失日": None}}, client=w["b_clerk"])
    return w


def _self_info_names(view) -> list[str]:
    return [row["content"].get("保険者名称") for section in view["self_information"] for row in section["rows"]]


def test_scenario_2_control_without_flag_self_information_names_her_new_insurer(world_b):
    for view in views_of_victim(world_b):
        assert "Ｂ県後期高齢者医療広域連合" in _self_info_names(view)


def test_scenario_2_no_self_info_flag_hides_the_new_insurer_from_self_information(world_b):
    w = world_b
    w["sim"].post("/api/v1/settings/set/", {"member": "B0000001", "kind": "no_self_info", "reason": "本人の申出"},
                  client=w["b_clerk"])
    for view in views_of_victim(w):
        assert "Ｂ県" not in str(view["self_information"])
        assert _self_info_names(view) == ["Ａ健康保険組合"]  # another insurer's 副本 is unaffected
    # With every insurer's 副本 withheld, 「回答なし」 — the same answer as a person with no 副本 at all.
    w["sim"].post("/api/v1/settings/set/", {"member": "A0000001", "kind": "no_self_info", "reason": "本人の申出"},
                  client=w["clerk"])
    stranger = w["sim"].post("/api/sim/persons/", {"name": "山田 一郎", "pin": "3333"})
    nobody = w["sim"].portal(stranger["card_number"], "3333")
    for view in views_of_victim(w):
        assert view["self_information"] == [{"section": "健康保険", "rows": [], "message": NO_ANSWER}]
        assert view["self_information"] == nobody["self_information"]


# ③ 自動応答不可フラグ: 資格喪失 on 7/1, its 副本 registered late; 乙市 asks in the meantime.


def _ask_eligibility(w):
    return w["sim"].post(f"/api/sim/institutions/{w['otsu']['id']}/inquiries/", {
        "department": "福祉課", "provider": w["a"]["id"], "sim_id": w["victim"]["sim_id"],
        "procedure": "welfare", "item": "medical_eligibility"})


def test_scenario_3_control_without_flag_the_stale_replica_is_answered_automatically(world):
    w = world
    w["sim"].post("/api/v1/members/A0000001/loss/", {"lost_on": "2026-07-01"}, status=200, client=w["clerk"])
    record = _ask_eligibility(w)
    assert record["state"] == "provided"
    assert record["provided_content"]["資格喪失日"] is None  # misleading: she looks still insured by A
    assert len(views_of_victim(w)[0]["history"]) == 1


def test_scenario_3_no_auto_response_waits_for_staff_who_correct_and_approve(world):
    w = world
    sim = w["sim"]
    set_flag(w, "no_auto_response", reason="資格喪失の副本登録が遅延（別紙3 ③）")
    sim.post("/api/v1/members/A0000001/loss/", {"lost_on": "2026-07-01"}, status=200, client=w["clerk"])
    first = _ask_eligibility(w)
    assert first["state"] == "manual" and first["provided_content"] is None
    for view in views_of_victim(w):
        assert view["history"] == []  # nothing shown while unanswered (別紙1 ※1)
    queue = sim.get("/api/v1/manual-responses/", w["clerk"])["results"]
    assert [q["id"] for q in queue] == [first["id"]]
    assert queue[0]["latest_replica"]["content"]["資格喪失日"] is None
    corrected = dict(queue[0]["latest_replica"]["content"], 資格喪失日="2026-07-01")
    approved = sim.post(f"/api/v1/manual-responses/{first['id']}/approve/", {"content": corrected}, status=200,
                        client=w["clerk"])
    assert approved["state"] == "provided" and approved["content_corrected"] is True
    assert approved["provided_content"]["資格喪失日"] == "2026-07-01" and approved["provision_code"] is False
    for view in views_of_victim(w):
        assert len(view["history"]) == 1 and view["history"][0]["inquirer"] == "乙市"
    # Approved with 不開示コード: the record is hidden as with 不開示該当 (別紙1 ③).
    second = _ask_eligibility(w)
    hidden = sim.post(f"/api/v1/manual-responses/{second['id']}/approve/", {"nondisclosure_code": True}, status=200,
                      client=w["clerk"])
    assert hidden["provision_code"] is True and hidden["provision_code_source"] == "manual"
    # Declined: never shown.
    third = _ask_eligibility(w)
    declined = sim.post(f"/api/v1/manual-responses/{third['id']}/decline/", {"reason": "内容を確認中"}, status=200,
                        client=w["clerk"])
    assert declined["state"] == "declined"
    for view in views_of_victim(w):
        assert len(view["history"]) == 1  # only the first, approved without a code
    assert sim.get("/api/v1/manual-responses/", w["clerk"])["results"] == []


# ④ 不開示コード: insurer A asks 甲市 about the abuser (not its member); his own やりとり履歴 would name A.


def _inquire_about_abuser(w, code: bool):
    return w["sim"].post("/api/v1/inquiries/", {"procedure": "kenpo_benefit", "item": "local_tax",
                                                 "provider": w["ko"]["id"], "sim_id": w["abuser"]["sim_id"],
                                                 "nondisclosure_code": code}, client=w["clerk"])


def _open_case(w, *, linked: bool = True):
    body = {"member": "A0000001", "victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True,
            "case_card_or_proxy": True, "case_inquiry_about_abuser": True}
    if linked:
        body["linked_sim_ids"] = [w["abuser"]["sim_id"]]
    return w["sim"].post("/api/v1/cases/open/", body, client=w["clerk"])


def _his_history(w) -> list[tuple[str, str]]:
    his = w["sim"].portal(w["abuser"]["card_number"], "2222")
    assert his["as_proxy"] is False
    no_count(his)
    return [(r["inquirer"], r["inquirer_department"]) for r in his["history"]]


def test_scenario_4_control_abuser_not_linked_without_code_sees_insurer_a_in_his_own_history(world):
    w = world
    _open_case(w, linked=False)  # her 不開示該当 does not reach inquiries about him (rule 2)
    record = _inquire_about_abuser(w, code=False)
    assert record["inquiry_code"] is False
    assert _his_history(w) == [(FUND, "Ａ健康保険組合 業務部")]


def test_scenario_4_linked_abuser_gets_code_on_every_inquiry_without_anyone_ticking_it(world):
    """要注意照会対象: the abuser named on her case; the client sends no code (false), single and batch."""
    w = world
    case = _open_case(w)
    assert [(p["sim_id"], p["in_force"]) for p in case["linked_persons"]] == [(w["abuser"]["sim_id"], True)]
    record = _inquire_about_abuser(w, code=False)
    assert (record["inquiry_code"], record["inquiry_code_source"], record["inquiry_code_case"]) == (
        True, "linked", case["id"])
    assert record["handle_with_care"] is True
    batch = w["sim"].post("/api/v1/inquiries/batch/", {"inquiries": [
        {"procedure": "kenpo_benefit", "item": "local_tax", "provider": w["ko"]["id"], "sim_id": w["abuser"]["sim_id"],
         "nondisclosure_code": False},
    ]}, status=200, client=w["clerk"])
    assert batch["results"][0]["record"]["inquiry_code_source"] == "linked"
    assert _his_history(w) == []
    assert "Ａ健康保険組合" not in str(w["sim"].portal(w["abuser"]["card_number"], "2222"))


def test_scenario_4_abuser_linked_later_from_then_on_his_history_stops_naming_insurer_a(world):
    w = world
    case = _open_case(w, linked=False)
    _inquire_about_abuser(w, code=False)
    link = w["sim"].post(f"/api/v1/cases/{case['id']}/linked-persons/",
                         {"sim_id": w["abuser"]["sim_id"], "reason": "加害者と判明"}, client=w["clerk"])
    assert link["in_force"] is True and link["name"] == "佐藤 太郎"
    after = _inquire_about_abuser(w, code=False)
    assert after["inquiry_code_source"] == "linked"
    assert _his_history(w) == [(FUND, "Ａ健康保険組合 業務部")]  # only the one sent before the link


def test_scenario_4_manual_code_still_hides_an_inquiry_about_an_unlinked_abuser(world):
    w = world
    _open_case(w, linked=False)
    for _ in range(2):  # every time (その都度)
        record = _inquire_about_abuser(w, code=True)
        assert record["inquiry_code"] is True and record["inquiry_code_source"] == "manual"
    assert _his_history(w) == []


def test_linked_person_removed_only_when_another_supervisor_approves(world):
    w = world
    sim = w["sim"]
    case = _open_case(w)
    link_id = case["linked_persons"][0]["id"]
    removal = sim.post(f"/api/v1/linked-persons/{link_id}/removal-requests/", {"reason": "誤登録"},
                       client=w["supervisor"])
    refused = sim.post(f"/api/v1/link-removals/{removal['id']}/decision/", {"approve": True}, status=409,
                       client=w["supervisor"])
    assert refused["code"] == "four_eyes"
    assert _inquire_about_abuser(w, code=False)["inquiry_code_source"] == "linked"  # still in force meanwhile
    sim.post(f"/api/v1/link-removals/{removal['id']}/decision/", {"approve": True, "note": "確認"}, status=200,
             client=w["supervisor2"])
    assert sim.get(f"/api/v1/cases/{case['id']}/", w["clerk"])["linked_persons"][0]["in_force"] is False
    assert _inquire_about_abuser(w, code=False)["inquiry_code"] is False


# 別紙1 ※2 at completion, on the inquirer's side: insurer A asks insurer B (another tenant) about her.


@pytest.fixture
def world_ab(world_b):
    """She is a member of both A and B; B has 自動応答不可 on her, so A's inquiry waits in B's queue."""
    w = world_b
    w["b_super"] = w["sim"].staff_client(w["b"]["id"], "b_super", "supervisor", "資格保険料課")
    w["sim"].post("/api/v1/settings/set/", {"member": "B0000001", "kind": "no_auto_response",
                                            "reason": "本人が自動応答を望まない"}, client=w["b_clerk"])
    return w


def _a_asks_b(w):
    record = w["sim"].post("/api/v1/inquiries/", {"procedure": "eligibility_check", "item": "medical_eligibility",
                                                   "provider": w["b"]["id"], "member": "A0000001"}, client=w["clerk"])
    assert record["state"] == "manual" and record["inquiry_code"] is False
    return record


def test_bessi1_2_control_inquirer_never_flagged_approval_shows_insurer_a_to_her_card_holder(world_ab):
    w = world_ab
    record = _a_asks_b(w)
    w["sim"].post(f"/api/v1/manual-responses/{record['id']}/approve/", {}, status=200, client=w["b_clerk"])
    for view in views_of_victim(w):
        assert [(r["inquirer"], r["inquirer_department"]) for r in view["history"]] == [
            (FUND, "Ａ健康保険組合 業務部")]


def test_bessi1_2_inquirer_flag_set_while_waiting_hides_the_record_when_b_approves_without_code(world_ab):
    """The leak of issue 10: A sets 不開示該当 while its inquiry waits at B; B approves without a code. At completion
    A's flag is read again: the inquiry side is coded 「完了時自動設定」 and her やりとり履歴 shows nothing."""
    w = world_ab
    record = _a_asks_b(w)
    set_flag(w, "non_disclosure", reason="A の被保険者として DV 被害の申出")
    approved = w["sim"].post(f"/api/v1/manual-responses/{record['id']}/approve/", {"nondisclosure_code": False},
                             status=200, client=w["b_clerk"])
    assert approved["state"] == "provided" and approved["provision_code"] is False
    # B sees that the inquiry carries a code, not why (A's flag is A's business).
    assert approved["inquiry_code"] is True and approved["inquiry_code_source"] is None
    mine = w["sim"].get(f"/api/v1/exchanges/{record['id']}/", w["clerk"])
    assert (mine["inquiry_code"], mine["inquiry_code_source"]) == (True, "completion")
    for view in views_of_victim(w):  # as herself, as whoever holds her card, as her proxy
        no_count(view)
        assert view["history"] == []
        assert "Ａ健康保険組合" not in history_text(view)


# ケース① completed: card suspended and reissued, proxy removed, flags cleared with four eyes.


def test_case_1_completion_cuts_the_abuser_off_and_flags_are_cleared_by_another_supervisor(world):
    w = world
    sim = w["sim"]
    case = _open_case(w)
    flagged = _inquire_about_victim(w)
    assert flagged["inquiry_code"] is True
    # カード停止 and 再交付: the card he holds stops working; the victim gets a new one.
    sim.post(f"/api/sim/cards/{w['victim']['card_number']}/suspend/", {"reason": "本人の申出"}, status=200)
    assert sim.portal(w["victim"]["card_number"], "1111", status=403)["code"] == "suspended"
    new_card = sim.post(f"/api/sim/persons/{w['victim']['sim_id']}/cards/", {"pin": "4444"})
    # A proxy survives card suspension (as the real portal): he still sees her data until she removes him.
    assert sim.portal(w["abuser"]["card_number"], "2222", principal=w["victim"]["sim_id"])["as_proxy"] is True
    sim.post("/api/sim/portal/proxies/remove/", {"card_number": new_card["card_number"], "pin": "4444",
                                                 "agent_sim_id": w["abuser"]["sim_id"]}, status=200)
    refused = sim.portal(w["abuser"]["card_number"], "2222", principal=w["victim"]["sim_id"], status=403)
    assert refused["code"] == "not_proxy"
    # Before the procedures are recorded with dates, clearing case ①'s flags cannot even be requested.
    nd = sim.get("/api/v1/settings/?active=true&member=A0000001&kind=non_disclosure", w["clerk"])["results"][0]
    early = sim.post(f"/api/v1/settings/{nd['id']}/clearing-requests/", {"reason": "早く解除したい"}, status=409,
                     client=w["clerk"])
    assert early["code"] == "card_procedures_incomplete"
    today = datetime.date.today().isoformat()
    sim.post(f"/api/v1/cases/{case['id']}/checklist/", {
        "card_suspension_advised_on": today, "card_suspension_confirmed_on": today,
        "proxy_cancel_advised_on": today, "proxy_cancel_confirmed_on": today,
    }, status=200, client=w["clerk"])
    # Clearing: requested by one supervisor, approved by another (the requester cannot approve).
    settings = sim.get("/api/v1/settings/?active=true&member=A0000001", w["clerk"])["results"]
    assert {s["kind"] for s in settings} == {"non_disclosure", "no_self_info"}
    for setting in settings:
        request = sim.post(f"/api/v1/settings/{setting['id']}/clearing-requests/", {"reason": "カード停止等手続の完了を確認"},
                           client=w["supervisor"])
        refused = sim.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True}, status=409,
                           client=w["supervisor"])
        assert refused["code"] == "four_eyes"
        sim.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True}, status=200,
                 client=w["supervisor2"])
    assert sim.get("/api/v1/settings/?active=true", w["clerk"])["results"] == []
    # After clearing, a new inquiry is shown to her; the one completed while flagged stays hidden.
    _inquire_about_victim(w)
    mine = sim.portal(new_card["card_number"], "4444")
    assert len(mine["history"]) == 1


def test_api_inquiry_entry_point_codes_flagged_member(world):
    """The API is an entry point of the choke point: an inquiry about a flagged member ends with 不開示コード, also when
    sent in a batch, and even if the client asked for none."""
    w = world
    set_flag(w, "non_disclosure")
    single = w["sim"].post("/api/v1/inquiries/", {"procedure": "kenpo_benefit", "item": "local_tax",
                                                  "provider": w["ko"]["id"], "member": "A0000001",
                                                  "nondisclosure_code": False}, client=w["clerk"])
    assert single["inquiry_code"] is True and single["inquiry_code_source"] == "auto"
    batch = w["sim"].post("/api/v1/inquiries/batch/", {"inquiries": [
        {"procedure": "kenpo_benefit", "item": "local_tax", "provider": w["ko"]["id"], "member": "A0000001"},
        {"procedure": "kenpo_benefit", "item": "local_tax", "provider": w["ko"]["id"], "sim_id": w["victim"]["sim_id"]},
    ]}, status=200, client=w["clerk"])
    assert [r["record"]["inquiry_code"] for r in batch["results"]] == [True, True]
    assert views_of_victim(w)[0]["history"] == []


def test_peer_municipality_codes_its_provisions_but_not_its_inquiries(world):
    """Rule 5 / 別添 ① 2/4: 甲市 flags her on the 自治体中間サーバー. Its answer to insurer A carries 不開示コード
    automatically; its own inquiry to insurer A does not (only a manual code would)."""
    w = world
    sim = w["sim"]
    sim.post(f"/api/sim/institutions/{w['ko']['id']}/settings/", {"sim_id": w["victim"]["sim_id"],
                                                                 "kind": "non_disclosure", "reason": "住基DV等支援措置"})
    answered = _inquire_about_victim(w)
    assert answered["inquiry_code"] is False and answered["provision_code"] is True
    assert answered["provision_code_source"] == "auto" and answered["handle_with_care"] is True
    asked = sim.post(f"/api/sim/institutions/{w['ko']['id']}/inquiries/", {
        "department": "税務課", "provider": w["a"]["id"], "sim_id": w["victim"]["sim_id"],
        "procedure": "local_tax_levy", "item": "medical_eligibility"})
    assert asked["inquiry_code"] is False and asked["provision_code"] is False
    history = views_of_victim(w)[0]["history"]
    assert [(r["inquirer"], r["provider"]) for r in history] == [("甲市", FUND)]  # only the uncoded one


def test_portal_refuses_a_wrong_pin_without_saying_whose_card_it_is(world):
    w = world
    wrong = w["sim"].portal(w["victim"]["card_number"], "9999", status=403)
    unknown = w["sim"].portal("CARD-NOSUCHCARD", "9999", status=403)
    assert wrong["code"] == unknown["code"] == "bad_credentials"
    assert "佐藤" not in str(wrong)
