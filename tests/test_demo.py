"""seed_demo builds the same world every time and prints the logins."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from flags.models import Setting
from institutions.models import Institution, InstitutionKind, Role, Staff
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Member, Person, Procedure


def _facts():
    return {
        "institutions": sorted(Institution.objects.values_list("name", "kind", "insurer_number")),
        "persons": sorted(Person.objects.values_list("sim_id", "name")),
        "members": sorted(Member.objects.values_list("insurer__name", "branch_number", "name")),
        "staff": sorted(Staff.objects.values_list("username", "role", "institution__name")),
        "settings": sorted(
            Setting.objects.values_list("member__branch_number", "kind", "item__code", "cleared_at"), key=str
        ),
    }


# transaction=True: --reset flushes (TRUNCATE), which PostgreSQL refuses inside the test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_deterministic_and_prints_logins():
    ensure_catalogue(InfoItem, Procedure)  # a transactional test starts from flushed tables
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _facts()
    assert "a_clerk" in out.getvalue() and "nakama-demo-2026" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert _facts() == first

    kinds = set(Institution.objects.values_list("kind", flat=True))
    assert {InstitutionKind.HEALTH_INSURANCE_SOCIETY, InstitutionKind.LATE_ELDERLY_UNION,
            InstitutionKind.MUNICIPAL_NHI, InstitutionKind.MUNICIPALITY} <= kinds
    assert Institution.objects.municipalities().count() >= 2
    for insurer in ("Ａ健康保険組合", "Ｂ県後期高齢者医療広域連合"):
        roles = set(Staff.objects.filter(institution__name=insurer).values_list("role", flat=True))
        assert roles == set(Role.values), insurer
    for inst in Institution.objects.insurers():
        inst.full_clean()  # every demo 保険者番号 has a valid 検証番号
    assert authenticate(RequestFactory().post("/login/"), username="a_clerk", password="nakama-demo-2026") is not None
    victim = Member.objects.get(person__sim_id="SIM-HANA-KOSA")
    links = {link.person.sim_id: link for link in victim.protection_cases.get().linked_persons.all()}
    link = links["SIM-TARO-KOSA"]  # 要注意照会対象, linked after case ②'s danger
    assert link.is_in_force
    # Issue 17: his brother, linked later; NWS turned the 追記依頼 for the record naming Ａ健保 down (差戻し), and a
    # colleague who is not 担当 looked her up with a reason.
    from audit.models import AuditEntry
    from exchanges.models import AppendRequest

    assert "SIM-JIRO-KOSA" in links
    assert AppendRequest.objects.filter(status="rejected", record__subject__sim_id="SIM-JIRO-KOSA").exists()
    looked = AuditEntry.objects.filter(action="protected.viewed", actor__username="a_clerk2").get()
    assert looked.after["in_charge"] is False and looked.after["reason"]


@pytest.mark.django_db(transaction=True)
def test_demo_staff_have_provenance_and_the_demo_supervisors_are_independent():
    """Issue 18 ①: the seed made every demo account (the operator's, nobody's sponsor): a_super and a_super2 decide
    each other's and the clerks' requests, so the demo's four eyes still work."""
    from institutions.access import independence_refusal
    from institutions.models import StaffOrigin

    ensure_catalogue(InfoItem, Procedure)
    call_command("seed_demo", stdout=StringIO())
    staff = {s.username: s for s in Staff.objects.filter(institution__isnull=False)}
    assert {s.created_via for s in staff.values()} == {StaffOrigin.DEMO}
    for requester, approver in [("a_super", "a_super2"), ("a_super2", "a_super"), ("a_clerk", "a_super"),
                                ("a_clerk2", "a_super2")]:
        assert independence_refusal(staff[approver], requested_by=staff[requester], requested_at=None) is None
