"""Acts of the simulated world that no domain service covers: creating institutions, staff (with API tokens),
persons, enrolments and peer 副本. Used only by /api/sim/ (off unless settings.NAKAMA_SIM_API).

Each runs in one transaction, validates with full_clean, and writes an audit entry (actor: none, the world).
"""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from institutions.models import Department, Institution, InstitutionKind, Role, Staff, StaffOrigin
from members.enrolment import run_enrolment_hooks
from members.locks import lock_person_settings
from members.models import InfoItem, Member, Person, Replica
from portal_sim.models import Card
from portal_sim.services import issue_card
from signin.policy import needs_second_factor
from signin.services import enrol_totp
from signin.tokens import create_sim_token


def _departments(institution: Institution, names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise ValidationError({"departments": "部署名が重複しています。"})
    for name in names:
        department = Department(institution=institution, name=name)
        department.full_clean()
        department.save()


def create_insurer(
    *, name: str, kind: str, insurer_number: str, departments: list[str], is_tenant: bool = True
) -> Institution:
    """A 保険者 with its 部署. is_tenant: its staff use this Nakama (otherwise a peer insurer on NWS)."""
    if kind == InstitutionKind.MUNICIPALITY:
        raise ValidationError({"kind": "市町村は municipalities で作成してください。"})
    with transaction.atomic():
        institution = Institution(name=name, kind=kind, insurer_number=insurer_number, is_tenant=is_tenant)
        institution.full_clean()
        institution.save()
        _departments(institution, departments)
        record(actor=None, institution=institution if is_tenant else None, action="sim.insurer.created",
               target=institution)
    return institution


def create_municipality(*, name: str, departments: list[str]) -> Institution:
    """A 市町村 on the 自治体中間サーバー (a peer: never a tenant)."""
    with transaction.atomic():
        institution = Institution(name=name, kind=InstitutionKind.MUNICIPALITY, insurer_number="", is_tenant=False)
        institution.full_clean()
        institution.save()
        _departments(institution, departments)
        record(actor=None, action="sim.municipality.created", target=institution)
    return institution


def create_staff(
    *, institution: Institution, username: str, display_name: str, department_name: str, role: str,
    password: str | None = None,
) -> tuple[Staff, str]:
    """A staff account of a tenant insurer and its API token (returned once; only the digest is stored)."""
    if not institution.is_tenant:
        raise ValidationError({"institution": "職員はNakama利用保険者にのみ作成できます。"})
    if role not in Role.values:
        raise ValidationError({"role": "役割が正しくありません。"})
    department = institution.departments.filter(name=department_name).first()
    if department is None:
        raise ValidationError({"department": "この保険者にその部署はありません。"})
    with transaction.atomic():
        staff = Staff(username=username, display_name=display_name, institution=institution, department=department,
                      role=role, created_via=StaffOrigin.SIM)
        if password:
            staff.set_password(password)
        else:
            staff.set_unusable_password()
        staff.full_clean()
        staff.save()
        record(actor=None, institution=institution, action="sim.staff.created", target=staff,
               after={"role": role, "department": department.name})
        if needs_second_factor(staff):
            enrol_totp(staff=staff, reason="シミュレーションAPIで職員を作成（二要素認証の端末）")
        token = create_sim_token(staff=staff, reason="シミュレーションAPIで職員を作成")
    return staff, token


def create_person(
    *, name: str, kana: str = "", birth_date: datetime.date | None = None, sim_id: str | None = None,
    pin: str | None = None,
) -> tuple[Person, Card | None]:
    """A simulated person, optionally with a My Number card and its 4-digit PIN."""
    with transaction.atomic():
        person = Person(name=name, kana=kana, birth_date=birth_date)
        if sim_id:
            person.sim_id = sim_id.strip().upper()
        person.full_clean()
        person.save()
        record(actor=None, action="sim.person.created", target=person)
        card = issue_card(person=person, pin=pin) if pin is not None else None
    return person, card


def enrol_person(
    *, insurer: Institution, person: Person, branch_number: str, acquired_on: datetime.date, symbol_number: str = "",
    register_eligibility: bool = True,
) -> Member:
    """加入 in the simulated world (for a peer insurer, or as a shortcut for a tenant), with the 医療保険資格関係情報
    副本 the insurer would register, naming the insurer (the detail 別紙3 ② hides with 自己情報提供不可)."""
    if not insurer.is_insurer:
        raise ValidationError({"insurer": "保険者を指定してください。"})
    if person.birth_date is None:
        raise ValidationError({"birth_date": "個人の生年月日が登録されていません。"})
    with transaction.atomic():
        member = Member(insurer=insurer, branch_number=branch_number, person=person, name=person.name,
                        kana=person.kana or person.name, birth_date=person.birth_date, symbol_number=symbol_number,
                        acquired_on=acquired_on)
        member.full_clean()
        member.save()
        lock_person_settings(institution_id=member.insurer_id, person_id=member.person_id)  # before the trail's
        record(actor=None, institution=insurer if insurer.is_tenant else None, action="sim.member.enrolled",
               target=member)
        run_enrolment_hooks(actor=None, member=member)  # 引継ぎによる仮設定, as at every 加入
        if register_eligibility:
            Replica.objects.create(
                institution=insurer, person=person, member=member,
                item=InfoItem.objects.get(code="medical_eligibility"),
                content={"保険者名称": insurer.name, "保険者番号": insurer.insurer_number, "記号・番号": symbol_number,
                         "資格取得日": acquired_on.isoformat(), "資格喪失日": None},
                registered_at=timezone.now(),
            )
    return member


def register_peer_replica(*, institution: Institution, person: Person, item: InfoItem, content: dict) -> Replica:
    """副本 of a peer institution (a municipality's 地方税関係情報, a peer insurer's data)."""
    if institution.is_tenant:
        raise ValidationError({"institution": "Nakama利用保険者の副本は /api/v1/ から登録してください。"})
    if not content:
        raise ValidationError({"content": "副本の内容を入力してください。"})
    with transaction.atomic():
        member = Member.objects.filter(insurer=institution, person=person).first()
        replica = Replica.objects.create(institution=institution, person=person, member=member, item=item,
                                         content=content, registered_at=timezone.now())
        record(actor=None, action="sim.replica.registered", target=replica, after={"item": item.code})
    return replica


def new_pin() -> str:
    return f"{secrets.randbelow(10000):04d}"
