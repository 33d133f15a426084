"""Objects a request body names (not a URL: a URL's unknown id is a 404, get_scoped): unknown or another insurer's
answer 400 on that field, in the same words either way."""

from django.core.exceptions import ValidationError as DjangoValidationError

from api.errors import ApiError
from members.models import Member, Person


def own_member(user, branch_number: str, *, field: str) -> Member:
    """A member named in a body: unknown or another insurer's → 400 on that field (the same words either way)."""
    member = Member.objects.visible_to(user).filter(branch_number=branch_number).select_related("person").first()
    if member is None:
        raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                       fields={field: ["この被保険者枝番の被保険者は見つかりません。"]})
    return member



def person_by_sim_id(sim_id: str, *, field: str) -> Person:
    person = Person.objects.filter(sim_id=sim_id).first()
    if person is None:
        raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                       fields={field: [f"個人識別子 {sim_id} に該当する個人が見つかりません。"]})
    return person


def renamed(exc: DjangoValidationError, names: dict[str, str]) -> DjangoValidationError:
    """A service's field errors under the names the API body uses."""
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})

