"""flags 0006/0007: each case's single `abuser` becomes its first linked person (要注意照会対象), then the field goes."""

import datetime

import pytest

from tests.support.migrations import latest, migrate

BEFORE = [("flags", "0005_case_lifecycle_constraints"), ("exchanges", "0004_nondisclosure_triggers")]


@pytest.mark.django_db(transaction=True)
def test_abuser_of_an_existing_case_becomes_its_linked_person():
    old = migrate(BEFORE)
    try:
        Institution = old.get_model("institutions", "Institution")
        Person = old.get_model("members", "Person")
        Member = old.get_model("members", "Member")
        ProtectionCase = old.get_model("flags", "ProtectionCase")
        insurer = Institution.objects.create(name="Ａ健康保険組合", kind="kenpo_kumiai", insurer_number="06131239",
                                             is_tenant=True)
        her = Person.objects.create(sim_id="SIM-HANA-MIGR", name="佐藤 花子", kana="サトウ ハナコ",
                                    birth_date=datetime.date(1990, 5, 12))
        him = Person.objects.create(sim_id="SIM-TARO-MIGR", name="佐藤 太郎", kana="サトウ タロウ",
                                    birth_date=datetime.date(1987, 2, 3))
        member = Member.objects.create(insurer=insurer, person=her, branch_number="A0000001", name="佐藤 花子",
                                       kana="サトウ ハナコ", birth_date=her.birth_date,
                                       acquired_on=datetime.date(2026, 4, 1))
        opened = datetime.datetime(2026, 4, 3, 10, 0, tzinfo=datetime.UTC)
        with_abuser = ProtectionCase.objects.create(institution=insurer, member=member, abuser=him, opened_at=opened,
                                                    review_on=datetime.date(2027, 4, 3))
        without = ProtectionCase.objects.create(  # closed: one open case per member (flags 0005)
            institution=insurer, member=member, opened_at=opened, closed_at=opened + datetime.timedelta(days=1),
            review_on=datetime.date(2027, 4, 3),
        )
    finally:
        new = migrate(latest())
    CaseLinkedPerson = new.get_model("flags", "CaseLinkedPerson")
    [link] = CaseLinkedPerson.objects.all()
    assert (link.case_id, link.person_id, link.institution_id) == (with_abuser.pk, him.pk, insurer.pk)
    assert link.added_at == opened and link.removed_at is None and link.reason == "加害者（登録時に指定）"
    assert not CaseLinkedPerson.objects.filter(case_id=without.pk).exists()
    assert "abuser_id" not in {f.column for f in new.get_model("flags", "ProtectionCase")._meta.fields}
