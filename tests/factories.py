"""factory_boy factories for the domain. Valid 保険者番号 are computed, never hard-coded."""

import datetime
import itertools

import factory
from django.utils import timezone

from institutions.insurer_number import check_digit
from institutions.models import Department, Institution, InstitutionKind, Role, Staff
from members.models import InfoItem, Member, Person, Replica

_numbers = itertools.count(100)
_letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def valid_insurer_number(kind: str) -> str:
    n = next(_numbers)
    # 法別番号 06 (health insurance society) + prefecture + 3-digit number; unique within a test for n < 47,000.
    if kind == InstitutionKind.MUNICIPAL_NHI:
        body = f"{n % 47 + 1:02d}{n % 1000:03d}"
    else:
        body = f"06{n % 47 + 1:02d}{n % 1000:03d}"
    return body + str(check_digit(body))


def _sim_id(n: int) -> str:
    a, b, c = n % 24, (n // 24) % 24, (n // 576) % 24
    return f"SIM-TEST-{_letters[c]}{_letters[b]}{_letters[a]}Z"


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"テスト健康保険組合{n}")
    kind = InstitutionKind.HEALTH_INSURANCE_SOCIETY
    insurer_number = factory.LazyAttribute(lambda o: valid_insurer_number(o.kind))
    is_tenant = True


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"テスト市{n}")
    kind = InstitutionKind.MUNICIPALITY
    insurer_number = ""
    is_tenant = False


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    institution = factory.SubFactory(InsurerFactory)
    name = factory.Sequence(lambda n: f"業務部{n}")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    display_name = factory.Sequence(lambda n: f"職員{n}")
    department = factory.SubFactory(DepartmentFactory)
    institution = factory.SelfAttribute("department.institution")
    role = Role.CLERK
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    sim_id = factory.Sequence(_sim_id)
    name = factory.Sequence(lambda n: f"個人 {n}")
    kana = factory.Sequence(lambda n: f"コジン {n}")
    birth_date = datetime.date(1980, 1, 1)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    insurer = factory.SubFactory(InsurerFactory)
    branch_number = factory.Sequence(lambda n: f"{n:08d}")
    person = factory.SubFactory(PersonFactory)
    name = factory.SelfAttribute("person.name")
    kana = factory.SelfAttribute("person.kana")
    birth_date = datetime.date(1980, 1, 1)
    symbol_number = factory.Sequence(lambda n: f"記号1 番号{n}")
    acquired_on = datetime.date(2024, 4, 1)


class ReplicaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Replica

    member = factory.SubFactory(MemberFactory)
    institution = factory.SelfAttribute("member.insurer")
    person = factory.SelfAttribute("member.person")
    item = factory.LazyFunction(lambda: InfoItem.objects.get(code="medical_eligibility"))
    content = factory.LazyAttribute(
        lambda o: {
            "保険者名称": o.institution.name,
            "保険者番号": o.institution.insurer_number,
            "記号・番号": o.member.symbol_number if o.member else "",
            "資格取得日": "2024-04-01",
            "資格喪失日": None,
        }
    )
    registered_at = factory.LazyFunction(timezone.now)
