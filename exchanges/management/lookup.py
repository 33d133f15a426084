"""Argument lookups shared by the exchange commands. Each refuses with a Japanese CommandError, never a traceback."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from institutions.models import Department, Institution, Staff
from members.models import InfoItem, Member, Person, Procedure


def institution(value: str, *, label: str) -> Institution:
    """An institution by 保険者番号, exact name, or id."""
    value = (value or "").strip()
    qs = Institution.objects.all()
    found = qs.filter(insurer_number=value).first() if value else None
    found = found or qs.filter(name=value).first()
    if found is None and value.isdigit():
        found = qs.filter(pk=int(value)).first()
    if found is None:
        raise CommandError(f"{label}「{value}」が見つかりません（保険者番号・名称・IDで指定してください）。")
    return found


def department(inst: Institution, name: str | None) -> Department | None:
    if not name:
        return None
    found = Department.objects.filter(institution=inst, name=name).first()
    if found is None:
        raise CommandError(f"{inst.name} に部署「{name}」はありません。")
    return found


def staff(username: str) -> Staff:
    user = Staff.objects.filter(username=username, is_active=True).select_related("institution", "department").first()
    if user is None or not user.is_insurer_staff:
        raise CommandError(f"保険者の職員「{username}」が見つかりません。")
    return user


def procedure(code: str) -> Procedure:
    found = Procedure.objects.filter(code=code).first()
    if found is None:
        codes = ", ".join(Procedure.objects.values_list("code", flat=True))
        raise CommandError(f"事務「{code}」はありません（指定できる値: {codes}）。")
    return found


def item(code: str) -> InfoItem:
    found = InfoItem.objects.filter(code=code).first()
    if found is None:
        codes = ", ".join(InfoItem.objects.values_list("code", flat=True))
        raise CommandError(f"特定個人情報「{code}」はありません（指定できる値: {codes}）。")
    return found


def member_of(inst: Institution, branch_number: str) -> Member:
    found = Member.objects.filter(insurer=inst, branch_number=branch_number).select_related("person").first()
    if found is None:
        raise CommandError(f"{inst.name} に被保険者枝番「{branch_number}」の被保険者はいません。")
    return found


def person(sim_id: str) -> Person:
    found = Person.objects.filter(sim_id=(sim_id or "").strip().upper()).first()
    if found is None:
        raise CommandError(f"個人識別子「{sim_id}」に該当する個人が見つかりません。")
    return found


def refuse(exc: Exception) -> CommandError:
    """The service's own Japanese message, as the operator sees it."""
    if isinstance(exc, ValidationError):
        return CommandError(" ".join(exc.messages))
    if isinstance(exc, PermissionDenied):
        return CommandError(str(exc) or "この操作を行う権限がありません。")
    return CommandError(str(exc))


def describe(record) -> str:
    code = "なし"
    if record.inquiry_code:
        code = f"照会時（{record.get_inquiry_code_source_display()}）"
    if record.provision_code:
        code = (code + "・" if record.inquiry_code else "") + f"提供時（{record.get_provision_code_source_display()}）"
    care = "  【取り扱い注意】" if record.handle_with_care else ""
    return (
        f"記録ID {record.pk}  状態 {record.get_state_display()}  不開示コード {code}{care}\n"
        f"  照会機関 {record.inquirer_display} / 情報照会者部署名 {record.inquirer_department_display or '-'} / "
        f"提供機関 {record.provider_display}"
    )
