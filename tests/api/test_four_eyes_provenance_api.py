"""Issue 18 ①, over the API: sam makes pupA and pupB, sue approves pupA's promotion; pupB files, pupA decides with
his own token — clearing, link removal and case closure are each refused 409 four_eyes with the rule in Japanese."""

from flags.links import link_person
from flags.models import CaseClosure, ClearingRequestState, LinkRemovalRequest, Setting
from flags.policy import SettingKind
from flags.services import open_protection_case
from institutions.models import Role
from institutions.services import create_staff, decide_role_grant, request_role_grant
from tests.api.conftest import assert_error, client_for

PASSWORD = "long-enough-pass-99"


def test_attack_1_over_the_api(sam, sue, alice, dept_a, victim, abuser):
    pup_a, pup_b = (create_staff(actor=sam, username=name, display_name=name, department=dept_a, role=Role.CLERK,
                                 password=PASSWORD) for name in ("pupA", "pupB"))
    grant = request_role_grant(actor=sam, staff=pup_a, role=Role.SUPERVISOR, reason="増員")
    decide_role_grant(actor=sue, grant_request=grant, approve=True)
    pup_a.refresh_from_db()
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    link = link_person(actor=alice, case=case, person=abuser, reason="加害者")
    setting = Setting.objects.get(member=victim, kind=SettingKind.NON_DISCLOSURE)
    filer, decider = client_for(pup_b), client_for(pup_a)

    def refused(path: str) -> None:
        body = assert_error(decider.post(path, {"approve": True, "note": ""}, format="json"), 409, "four_eyes")
        assert "同じ職員の依頼で登録・昇格された職員です" in body["message"]
        assert "両者が同じ職員の依頼で登録・昇格された職員であること" in body["message"]

    closure = filer.post(f"/api/v1/cases/{case.pk}/closure-requests/", {"reason": "終了", "clear_settings": True},
                         format="json")
    assert closure.status_code == 201, closure.content
    refused(f"/api/v1/case-closures/{closure.json()['id']}/decision/")
    removal = filer.post(f"/api/v1/linked-persons/{link.pk}/removal-requests/", {"reason": "不要"}, format="json")
    assert removal.status_code == 201
    refused(f"/api/v1/link-removals/{removal.json()['id']}/decision/")
    clearing = filer.post(f"/api/v1/settings/{setting.pk}/clearing-requests/", {"reason": "完了確認"}, format="json")
    assert clearing.status_code == 201
    refused(f"/api/v1/clearing-requests/{clearing.json()['id']}/decision/")

    setting.refresh_from_db()
    link.refresh_from_db()
    case.refresh_from_db()
    assert setting.cleared_at is None and link.removed_at is None and case.closed_at is None
    assert CaseClosure.objects.get(case=case).state == ClearingRequestState.PENDING
    assert LinkRemovalRequest.objects.get(link=link).state == ClearingRequestState.PENDING
