"""What every /api/sim/ view shares: off unless NAKAMA_SIM_API, the simulation key instead of a token."""

from django.conf import settings
from django.http import Http404

from api.errors import ApiError
from api.permissions import HasSimKey
from api.views.common import ApiView
from members.models import Person

TAGS = ["シミュレーション"]


class SimView(ApiView):
    authentication_classes: list = []
    permission_classes = [HasSimKey]

    def initial(self, request, *args, **kwargs):
        if not settings.NAKAMA_SIM_API:
            raise Http404
        super().initial(request, *args, **kwargs)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(code="invalid", message="入力内容に誤りがあります。", fields={field: [message]})


def person_by_sim_id(sim_id: str, field: str = "sim_id") -> Person:
    person = Person.objects.filter(sim_id=(sim_id or "").strip().upper()).first()
    if person is None:
        raise invalid(field, "入力された個人識別子に該当する個人が見つかりません。")
    return person
