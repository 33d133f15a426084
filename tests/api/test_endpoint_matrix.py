"""Every API endpoint, listed from the URL resolver, against: no token and a bad token (401), another insurer's token
(404 or an empty list), each role's rights, and a bad body (400 with field errors). An endpoint added to the URLs
without a row here fails test_every_endpoint_is_in_the_matrix."""

import datetime
import json
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from api.views.batch import UNKNOWN_MEMBER
from audit.models import AuditEntry
from exchanges.services import InquiryRequest, file_append_request, receive_inquiry, send_inquiry
from flags.case_lifecycle import request_case_closure
from flags.family import add_companion, request_companion_removal
from flags.handover import offer_handover
from flags.links import link_person, request_link_removal
from flags.policy import SettingKind
from flags.services import open_protection_case, request_clearing, set_setting, update_case_checklist
from institutions.models import Role
from members.services import record_loss
from portal_sim.services import issue_card
from tests import factories as f
from tests.api.conftest import assert_error, client_for

CLERK, SUPERVISOR, AUDITOR = Role.CLERK.value, Role.SUPERVISOR.value, Role.AUDITOR.value
ALL_ROLES = (CLERK, SUPERVISOR, AUDITOR)
CHANGERS = (CLERK, SUPERVISOR)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # formatted with the world's ids
    ok: int  # status for a permitted role
    roles: tuple = ALL_ROLES  # roles that may call it
    body: dict | None = None  # a valid body (formatted with the world's ids)
    bad_body: dict | None = None  # a body that must give 400 with field errors
    outsider: str = "404"  # what another insurer's staff gets: "404", "empty", "400" (object named in the body), "own"
    outsider_role: str = CLERK
    extra: dict = field(default_factory=dict)


def _fmt(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fmt(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fmt(v, ids) for v in value]
    return value


V1 = {
    "me": Endpoint("get", "/api/v1/me/", 200, outsider="own"),
    "token-revoke": Endpoint("post", "/api/v1/tokens/revoke/", 204, outsider="own"),
    "institutions": Endpoint("get", "/api/v1/institutions/", 200, outsider="own"),
    "catalogue": Endpoint("get", "/api/v1/catalogue/", 200, outsider="own"),
    "member-list": Endpoint("get", "/api/v1/members/", 200, outsider="empty"),
    "member-detail": Endpoint("get", "/api/v1/members/{branch}/", 200),
    "member-enrol": Endpoint(
        "post", "/api/v1/members/enrol/", 201, CHANGERS,
        body={"sim_id": "{new_sim_id}", "branch_number": "A0000099", "acquired_on": "2026-04-01"},
        bad_body={"sim_id": "", "branch_number": "枝番!", "acquired_on": "昨日"}, outsider="own",
    ),
    "member-loss": Endpoint("post", "/api/v1/members/{branch}/loss/", 200, CHANGERS, body={"lost_on": "2026-07-01"},
                            bad_body={"lost_on": "7月1日"}),
    "member-replica": Endpoint(
        "post", "/api/v1/members/{branch}/replicas/", 201, CHANGERS,
        body={"item": "medical_eligibility", "content": {"保険者名称": "Ａ健康保険組合", "資格喪失日": "2026-07-01"}},
        bad_body={"item": "no_such_item", "content": "text"},
    ),
    "replica-bulk": Endpoint(
        "post", "/api/v1/replicas/bulk/", 201, CHANGERS,
        body={"rows": [{"branch_number": "{branch}", "item": "medical_eligibility", "content": {"資格喪失日": None}}]},
        bad_body={"rows": [{"branch_number": "{branch}", "item": "medical_eligibility"}]}, outsider="400",
    ),
    "setting-list": Endpoint("get", "/api/v1/settings/", 200, outsider="empty"),
    "setting-detail": Endpoint("get", "/api/v1/settings/{setting}/", 200),
    "setting-set": Endpoint(
        "post", "/api/v1/settings/set/", 201, CHANGERS,
        body={"member": "{branch}", "kind": "no_self_info", "item": "medical_benefit", "reason": "本人の申出"},
        bad_body={"member": "{branch}", "kind": "everything", "reason": ""}, outsider="400",
    ),
    # Renewal ③: the settings CSV, 責任者 only; another insurer's supervisor gets a file of their own rows only.
    "setting-export": Endpoint("get", "/api/v1/settings/export/", 200, (SUPERVISOR,), outsider="own",
                               outsider_role=SUPERVISOR),
    "setting-request-clearing": Endpoint("post", "/api/v1/settings/{setting}/clearing-requests/", 201, CHANGERS,
                                         body={"reason": "カード停止の完了を確認"}, bad_body={"reason": ""}),
    "clearing-request-list": Endpoint("get", "/api/v1/clearing-requests/", 200, outsider="empty"),
    "clearing-request-detail": Endpoint("get", "/api/v1/clearing-requests/{clearing}/", 200),
    "clearing-request-decide": Endpoint("post", "/api/v1/clearing-requests/{clearing}/decision/", 200, (SUPERVISOR,),
                                        body={"approve": True, "note": "確認済"}, bad_body={"approve": "たぶん"},
                                        outsider_role=SUPERVISOR),
    "case-list": Endpoint("get", "/api/v1/cases/", 200, outsider="empty"),
    "case-detail": Endpoint("get", "/api/v1/cases/{case}/", 200),
    "case-open": Endpoint(
        "post", "/api/v1/cases/open/", 201, CHANGERS,
        body={"member": "{free_branch}", "victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True,
              "case_card_or_proxy": True},
        bad_body={"member": "{branch}", "victim_confirmed": "はい"}, outsider="400",
    ),
    "case-checklist": Endpoint("post", "/api/v1/cases/{case}/checklist/", 200, CHANGERS,
                               body={"card_suspension_advised_on": "2026-04-03",
                                     "card_suspension_confirmed_on": "2026-04-20"},
                               bad_body={"card_suspension_confirmed_on": "たぶん"}),
    "case-review-date": Endpoint("post", "/api/v1/cases/{case}/review-date/", 200, CHANGERS,
                                 body={"review_on": "{review_on}", "reason": "3か月後に状況確認"},
                                 bad_body={"review_on": "来年", "reason": ""}),
    "case-closure-request": Endpoint("post", "/api/v1/cases/{case}/closure-requests/", 201, CHANGERS,
                                     body={"reason": "本人から終了の申出", "clear_settings": True},
                                     bad_body={"reason": "", "clear_settings": "たぶん"}),
    "case-closure-decide": Endpoint("post", "/api/v1/case-closures/{closure}/decision/", 200, (SUPERVISOR,),
                                    body={"approve": True, "note": "確認済"}, bad_body={"approve": "たぶん"},
                                    outsider_role=SUPERVISOR),
    "case-exposure": Endpoint("get", "/api/v1/cases/{case}/exposure/", 200),
    "case-exposure-append": Endpoint("post", "/api/v1/cases/{case}/exposure/append-requests/", 201, CHANGERS,
                                     body={"records": ["{sweep_record}"], "reason": "登録前の照会（別紙2 §4）"},
                                     bad_body={"records": [], "reason": ""}),
    "case-handover-offer": Endpoint("post", "/api/v1/cases/{leaving_case}/handover/", 201, CHANGERS,
                                    body={"to_institution": "{insurer_b}", "consent_on": "{today}"},
                                    bad_body={"to_institution": "Ｂ", "consent_on": "きのう"}),
    "handover-list": Endpoint("get", "/api/v1/handovers/", 200, (SUPERVISOR, AUDITOR), outsider="empty",
                              outsider_role=SUPERVISOR),
    "handover-confirm": Endpoint("post", "/api/v1/handovers/{handover}/confirm/", 200, (SUPERVISOR,),
                                 body={"confirmed": True}, bad_body={"confirmed": "たぶん"}, outsider_role=SUPERVISOR),
    "handover-decline": Endpoint("post", "/api/v1/handovers/{handover}/decline/", 200, (SUPERVISOR,),
                                 body={"reason": "当組合の被保険者ではない"}, bad_body={"reason": ""},
                                 outsider_role=SUPERVISOR),
    "case-link-person": Endpoint("post", "/api/v1/cases/{case}/linked-persons/", 201, CHANGERS,
                                 body={"sim_id": "{unlinked_sim_id}", "reason": "加害者と判明"},
                                 bad_body={"sim_id": "", "reason": ""}),
    "linked-person-request-removal": Endpoint("post", "/api/v1/linked-persons/{link}/removal-requests/", 201,
                                              CHANGERS, body={"reason": "誤登録"}, bad_body={"reason": ""}),
    "link-removal-list": Endpoint("get", "/api/v1/link-removals/", 200, outsider="empty"),
    "link-removal-detail": Endpoint("get", "/api/v1/link-removals/{removal}/", 200),
    "link-removal-decide": Endpoint("post", "/api/v1/link-removals/{removal}/decision/", 200, (SUPERVISOR,),
                                    body={"approve": True, "note": "確認済"}, bad_body={"approve": "たぶん"},
                                    outsider_role=SUPERVISOR),
    "case-add-companion": Endpoint("post", "/api/v1/cases/{case}/companions/", 201, CHANGERS,
                                   body={"member": "{child_branch}", "relation": "子", "reason": "母と共に避難"},
                                   bad_body={"member": "", "relation": "", "reason": ""}),
    "companion-request-removal": Endpoint("post", "/api/v1/companions/{companion}/removal-requests/", 201,
                                          CHANGERS, body={"reason": "父方の祖父母の元へ"}, bad_body={"reason": ""}),
    "companion-removal-list": Endpoint("get", "/api/v1/companion-removals/", 200, outsider="empty"),
    "companion-removal-detail": Endpoint("get", "/api/v1/companion-removals/{companion_removal}/", 200),
    "companion-removal-decide": Endpoint("post", "/api/v1/companion-removals/{companion_removal}/decision/", 200,
                                         (SUPERVISOR,), body={"approve": True, "note": "確認済"},
                                         bad_body={"approve": "たぶん"}, outsider_role=SUPERVISOR),
    "inquiry-send": Endpoint(
        "post", "/api/v1/inquiries/", 201, CHANGERS,
        # access_reason: a 責任者 is not 担当 of her case (issue 17: break the glass).
        body={"procedure": "kenpo_benefit", "item": "local_tax", "provider": "{city}", "member": "{branch}",
              "access_reason": "給付の確認"},
        bad_body={"procedure": "no_such", "item": "local_tax", "provider": "{city}"}, outsider="400",
    ),
    "inquiry-batch": Endpoint(
        "post", "/api/v1/inquiries/batch/", 200, CHANGERS,
        body={"inquiries": [{"procedure": "kenpo_benefit", "item": "local_tax", "provider": "{city}",
                             "member": "{branch}"}]},
        bad_body={"inquiries": []}, outsider="own",
    ),
    "inquiry-batch-stream": Endpoint(
        "post", "/api/v1/inquiries/batch/stream/", 200, CHANGERS,
        body={"inquiries": [{"procedure": "kenpo_benefit", "item": "local_tax", "provider": "{city}",
                             "member": "{branch}"}]},
        bad_body={"inquiries": []}, outsider="own",
    ),
    "exchange-list": Endpoint("get", "/api/v1/exchanges/", 200, outsider="empty"),
    "exchange-detail": Endpoint("get", "/api/v1/exchanges/{exchange}/", 200),
    "exchange-append": Endpoint("post", "/api/v1/exchanges/{unappended}/append-requests/", 201, CHANGERS,
                                body={"reason": "加害者に係る照会と判明"}, bad_body={"reason": ""}),
    "manual-response-list": Endpoint("get", "/api/v1/manual-responses/", 200, outsider="empty"),
    "manual-response-detail": Endpoint("get", "/api/v1/manual-responses/{manual}/", 200),
    "manual-approve": Endpoint("post", "/api/v1/manual-responses/{manual}/approve/", 200, CHANGERS,
                               body={"nondisclosure_code": True}, bad_body={"content": "訂正"}),
    "manual-decline": Endpoint("post", "/api/v1/manual-responses/{manual}/decline/", 200, CHANGERS,
                               body={"reason": "副本の内容に誤り"}, bad_body={"reason": ""}),
    "append-request-list": Endpoint("get", "/api/v1/append-requests/", 200, outsider="empty"),
    "append-request-detail": Endpoint("get", "/api/v1/append-requests/{append}/", 200),
    "audit-list": Endpoint("get", "/api/v1/audit/", 200, (AUDITOR,), outsider="empty", outsider_role=AUDITOR),
    "audit-detail": Endpoint("get", "/api/v1/audit/{audit}/", 200, (AUDITOR,), outsider_role=AUDITOR),
    # Issue 17: who looked at her (auditors only; another insurer's auditor: 404 / an empty week).
    "case-access-log": Endpoint("get", "/api/v1/cases/{case}/access-log/", 200, (AUDITOR,), outsider_role=AUDITOR),
    "access-digest": Endpoint("get", "/api/v1/access-digest/", 200, (AUDITOR,), outsider="empty",
                              outsider_role=AUDITOR),
    # 担当 (責任者 only) and the reason a staff member who is not 担当 gives before she is shown (any role).
    "case-staff-list": Endpoint("get", "/api/v1/cases/{case}/staff/", 200, (SUPERVISOR,), outsider_role=SUPERVISOR),
    "case-staff-add": Endpoint("post", "/api/v1/cases/{case}/staff/add/", 201, (SUPERVISOR,),
                               body={"username": "{colleague}"}, bad_body={"username": ""}, outsider_role=SUPERVISOR),
    "case-staff-remove": Endpoint("post", "/api/v1/cases/{case}/staff/remove/", 200, (SUPERVISOR,),
                                  body={"username": "alice"}, bad_body={"username": ""}, outsider_role=SUPERVISOR),
    "case-access-reason": Endpoint("post", "/api/v1/cases/{case}/access-reason/", 200,
                                   body={"access_reason": "住所変更の届出の確認"}, bad_body={"access_reason": ""}),
}

SIM = {
    "insurer-create": ("/api/sim/insurers/", {"name": "", "kind": "city", "insurer_number": "1", "departments": []}),
    "staff-create": ("/api/sim/insurers/{insurer}/staff/", {"username": "a b", "role": "boss"}),
    "municipality-create": ("/api/sim/municipalities/", {"name": "", "departments": "税務課"}),
    "peer-replica": ("/api/sim/institutions/{city}/replicas/", {"sim_id": "{victim_sim_id}", "item": "x"}),
    "peer-inquiry": ("/api/sim/institutions/{city}/inquiries/", {"provider": "甲", "procedure": "x"}),
    "peer-setting": ("/api/sim/institutions/{city}/settings/", {"sim_id": "{victim_sim_id}", "kind": "all"}),
    "person-create": ("/api/sim/persons/", {"name": "", "pin": "12"}),
    "person-enrol": ("/api/sim/persons/{victim_sim_id}/enrolments/", {"insurer": "A", "acquired_on": "x"}),
    "card-reissue": ("/api/sim/persons/{victim_sim_id}/cards/", {"pin": "abcd"}),
    "card-suspend": ("/api/sim/cards/{card}/suspend/", {"reason": ["停止"]}),
    "portal": ("/api/sim/portal/", {"card_number": "", "pin": ""}),
    "proxy-name": ("/api/sim/portal/proxies/", {"card_number": "{card}"}),
    "proxy-remove": ("/api/sim/portal/proxies/remove/", {"pin": "1234"}),
    "nws-append-process": ("/api/sim/nws/append-requests/process/", {"reject_id": "いちばん古いもの"}),
}

PUBLIC = {"schema", "docs", "docs-script", "not-found"}


def _route_names() -> set[str]:
    """Every named route under /api/, as namespace:name, from the resolver."""
    names: set[str] = set()

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and namespace.startswith("api"):
                names.add(f"{namespace}:{p.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_endpoint_is_in_the_matrix():
    listed = {f"api:v1:{n}" for n in V1} | {f"api:sim:{n}" for n in SIM} | {f"api:{n}" for n in PUBLIC}
    routes = _route_names()
    assert routes - listed == set(), "endpoints without a row in the matrix"
    assert listed - routes == set(), "matrix rows without an endpoint"


@pytest.fixture
def world(alice, sam, audrey, bob, victim, city_ko, items, procedures):
    """Insurer A's objects every endpoint can be pointed at."""
    nd = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="DV被害の申出")
    nar = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="自動応答を望まない")
    clearing = request_clearing(actor=alice, setting=nar, reason="本人の希望")
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True)
    day = datetime.date(2026, 4, 10)  # カード停止等手続 confirmed, so case ①'s flags may be asked to clear
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=day, card_suspension_confirmed_on=day,
                          proxy_cancel_advised_on=day, proxy_cancel_confirmed_on=day)
    closing = open_protection_case(actor=alice, member=f.MemberFactory(insurer=alice.institution),
                                   victim_confirmed=True, fled_confirmed=True, requested_by_person=True)
    closure = request_case_closure(actor=alice, case=closing, reason="危険がなくなった", clear_settings=True)
    pending_link = link_person(actor=alice, case=case, person=f.PersonFactory(), reason="加害者")
    removal = request_link_removal(actor=alice, link=pending_link, reason="誤登録")
    relative = f.PersonFactory()
    # Asked about before he was linked: no code, still shown in his やりとり履歴 (a line of the exposure sweep).
    sweep_record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=relative.sim_id))
    link = link_person(actor=alice, case=case, person=relative, reason="加害者の親族")
    # 引継ぎ: a member of A who left (offered from A), and a person who joined A from Ｃ共済組合 (offered to A).
    leaving = f.MemberFactory(insurer=alice.institution)
    leaving_case = open_protection_case(actor=alice, member=leaving, victim_confirmed=True, fled_confirmed=True,
                                        requested_by_person=True)
    record_loss(actor=alice, member=leaving, lost_on=timezone.localdate())
    insurer_c = f.InsurerFactory(name="Ｃ共済組合")
    clerk_c = f.StaffFactory(department=f.DepartmentFactory(institution=insurer_c, name="組合員課"), role=Role.CLERK)
    joined = f.MemberFactory(insurer=insurer_c)
    joined_case = open_protection_case(actor=clerk_c, member=joined, victim_confirmed=True, fled_confirmed=True,
                                       requested_by_person=True)
    record_loss(actor=clerk_c, member=joined, lost_on=timezone.localdate())
    f.MemberFactory(insurer=alice.institution, person=joined.person)
    received = offer_handover(actor=clerk_c, case=joined_case, to_institution=alice.institution,
                              consent_on=timezone.localdate())
    exchange = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    manual = receive_inquiry(inquirer=city_ko, department=None, provider=alice.institution, subject=victim.person,
                             procedure=procedures["welfare"], item=items["medical_eligibility"])
    append = file_append_request(actor=alice, record=exchange, reason="事後に判明")
    unappended = send_inquiry(actor=alice, request=InquiryRequest(  # a second 追記依頼 on one record is refused
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    audit = AuditEntry.objects.filter(institution=alice.institution).first()
    staff = {CLERK: alice, SUPERVISOR: sam, AUDITOR: audrey}
    outsiders = {CLERK: bob,
                 SUPERVISOR: f.StaffFactory(department=bob.department, role=Role.SUPERVISOR),
                 AUDITOR: f.StaffFactory(department=bob.department, role=Role.AUDITOR)}
    card = issue_card(person=victim.person, pin="1234")
    # 同伴者: a child on the case with alice's removal request pending, a second one without, a third to add.
    removing = add_companion(actor=alice, case=case, member=f.MemberFactory(insurer=alice.institution),
                             relation="子", reason="避難")
    companion_removal = request_companion_removal(actor=alice, companion=removing, reason="祖父母の元へ")
    companion = add_companion(actor=alice, case=case, member=f.MemberFactory(insurer=alice.institution),
                              relation="子", reason="避難")
    ids = {
        "branch": victim.branch_number, "setting": nd.pk, "clearing": clearing.pk, "case": case.pk,
        "exchange": exchange.pk, "unappended": unappended.pk, "manual": manual.pk, "append": append.pk, "audit": audit.pk, "city": city_ko.pk,
        "new_sim_id": f.PersonFactory().sim_id, "insurer": alice.institution_id, "victim_sim_id": victim.person.sim_id,
        "card": card.card_number, "closure": closure.pk,
        "free_branch": f.MemberFactory(insurer=alice.institution).branch_number,  # a member with no open case
        "review_on": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "link": link.pk, "removal": removal.pk, "sweep_record": sweep_record.pk,
        "leaving_case": leaving_case.pk, "insurer_b": bob.institution_id, "today": timezone.localdate().isoformat(),
        "handover": received.pk, "unlinked_sim_id": f.PersonFactory().sim_id,
        "companion": companion.pk, "companion_removal": companion_removal.pk,
        "child_branch": f.MemberFactory(insurer=alice.institution).branch_number,
        "colleague": f.StaffFactory(department=alice.department, role=Role.CLERK).username,
    }
    assert manual.state == "manual"
    return {"ids": ids, "staff": staff, "outsiders": outsiders}


def _call(client, endpoint: Endpoint, ids, body=None):
    path = _fmt(endpoint.path, ids)
    if endpoint.method == "get":
        return client.get(path)
    return client.post(path, _fmt(body if body is not None else (endpoint.body or {}), ids), format="json")


@pytest.mark.parametrize("name", sorted(V1))
def test_no_token_is_401(name, world):
    assert_error(_call(APIClient(), V1[name], world["ids"]), 401, "not_authenticated")


@pytest.mark.parametrize("name", sorted(V1))
def test_bad_token_is_401(name, world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert_error(_call(client, V1[name], world["ids"]), 401, "authentication_failed")


@pytest.mark.parametrize("name", sorted(V1))
def test_revoked_token_is_401(name, world):
    client = client_for(world["staff"][V1[name].roles[0]])
    assert client.post("/api/v1/tokens/revoke/").status_code == 204
    assert_error(_call(client, V1[name], world["ids"]), 401, "authentication_failed")


@pytest.mark.parametrize("name", sorted(V1))
def test_another_insurers_token(name, world):
    """Insurer B's staff never see insurer A's objects: 404 for a single one, an empty list, 400 when named in a body."""
    endpoint = V1[name]
    response = _call(client_for(world["outsiders"][endpoint.outsider_role]), endpoint, world["ids"])
    if endpoint.outsider == "404":
        assert_error(response, 404, "not_found")
    elif endpoint.outsider == "empty":
        assert response.status_code == 200
        assert response.json()["results"] == []
    elif endpoint.outsider == "400":
        body = assert_error(response, 400)
        assert body["fields"], body
    else:
        assert response.status_code in (200, 201, 204), response.content[:300]
        if name == "inquiry-batch":  # the member is named in the body: refused item by item, as unknown
            assert response.json()["results"][0]["sent"] is False
        if name == "inquiry-batch-stream":
            first = json.loads(b"".join(response.streaming_content).splitlines()[0])
            assert first["sent"] is False and first["error"]["fields"] == {"member": [UNKNOWN_MEMBER]}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", sorted(V1))
def test_role_rights(name, role, world):
    endpoint = V1[name]
    response = _call(client_for(world["staff"][role]), endpoint, world["ids"])
    if role in endpoint.roles:
        assert response.status_code == endpoint.ok, response.content[:500]
    else:
        assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("name", sorted(n for n, e in V1.items() if e.bad_body is not None))
def test_bad_body_is_400_with_field_errors(name, world):
    endpoint = V1[name]
    role = SUPERVISOR if SUPERVISOR in endpoint.roles else endpoint.roles[0]
    body = assert_error(_call(client_for(world["staff"][role]), endpoint, world["ids"], endpoint.bad_body), 400)
    assert body["fields"], body


def test_every_write_has_a_bad_body_row():
    writes = {n for n, e in V1.items() if e.method == "post" and n != "token-revoke"}
    assert writes == {n for n, e in V1.items() if e.bad_body is not None}


@pytest.mark.parametrize("name", sorted(SIM))
def test_sim_endpoints_are_404_while_off(name, world, settings):
    settings.NAKAMA_SIM_API = False
    path, body = SIM[name]
    assert_error(APIClient().post(_fmt(path, world["ids"]), _fmt(body, world["ids"]), format="json"), 404, "not_found")


@pytest.mark.parametrize("name", sorted(SIM))
def test_sim_bad_body_is_400_with_field_errors(name, world, sim_on):
    path, body = SIM[name]
    response = APIClient().post(_fmt(path, world["ids"]), _fmt(body, world["ids"]), format="json", **sim_on)
    assert assert_error(response, 400)["fields"]


@pytest.mark.parametrize("name", sorted(SIM))
def test_sim_endpoints_without_the_key_are_403(name, world, sim_on):
    path, body = SIM[name]
    response = APIClient().post(_fmt(path, world["ids"]), _fmt(body, world["ids"]), format="json")
    assert_error(response, 403, "sim_key_invalid")


@pytest.mark.parametrize("name", sorted(SIM))
def test_sim_endpoints_with_a_wrong_key_are_403(name, world, sim_on):
    path, body = SIM[name]
    wrong = {"HTTP_X_NAKAMA_SIM_KEY": sim_on["HTTP_X_NAKAMA_SIM_KEY"][:-1] + "x"}
    response = APIClient().post(_fmt(path, world["ids"]), _fmt(body, world["ids"]), format="json", **wrong)
    assert_error(response, 403, "sim_key_invalid")


def test_schema_and_docs_are_public():
    assert APIClient().get("/api/schema/").status_code == 200
    docs = APIClient().get("/api/schema/docs/")
    assert docs.status_code == 200 and b"/api/schema/" in docs.content



def test_unknown_api_paths_answer_the_json_error_body(api_alice):
    assert_error(api_alice.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(api_alice.post("/api/v1/cases/not-a-number/checklist/", {}, format="json"), 404, "not_found")
    assert_error(api_alice.post("/api/v1/manual-responses/not-a-uuid/approve/", {}, format="json"), 404, "not_found")
