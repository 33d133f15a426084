"""担当 of a case over the API (issue 17 point 6): listed, added and removed by a 責任者 only, through the same
services as the console's case page (flags.access_log.add_case_staff / remove_case_staff, audited there)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.permissions import ManagesCaseStaff
from api.schema import id_param, read_responses, write_responses
from api.views.common import ApiView, get_scoped, valid
from flags import access_log
from flags.models import ProtectionCase
from institutions.models import Staff

TAGS = ["設定対象者"]


class CaseStaffOut(serializers.Serializer):
    """担当の職員1名."""

    username = serializers.CharField(source="staff.username", help_text="ユーザー名")
    display_name = serializers.CharField(source="staff.display_name", help_text="氏名")
    since = serializers.DateTimeField(help_text="担当になった日時（登録者は設定対象者の登録日時）")
    by_default = serializers.BooleanField(help_text="true: 登録した職員（既定の担当）")


class CaseStaffListOut(serializers.Serializer):
    case = serializers.IntegerField(help_text="設定対象者ID")
    results = CaseStaffOut(many=True, help_text="担当（登録者が先）")


class StaffIn(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="職員のユーザー名（自保険者の有効な職員）")


def _case(request, pk: str) -> ProtectionCase:
    return get_scoped(ProtectionCase.objects.visible_to(request.user), pk=pk)


def _staff(request, username: str) -> Staff | None:
    """A staff member of the caller's insurer, or None (another insurer's is as unknown as a wrong name)."""
    return Staff.objects.filter(institution_id=request.user.institution_id, username=username).first()


def _answer(case: ProtectionCase, status_code: int = status.HTTP_200_OK) -> Response:
    rows = CaseStaffOut(access_log.staff_in_charge(case), many=True).data
    return Response({"case": case.pk, "results": rows}, status=status_code)


def _refused(exc: DjangoValidationError) -> ApiError:
    """The service's Japanese message with its machine code (staff_unknown, already_in_charge, not_in_charge)."""
    errors = [e for errs in exc.error_dict.values() for e in errs] if hasattr(exc, "error_dict") else exc.error_list
    code = next((e.code for e in errors if e.code), "invalid")
    return ApiError(code=code, message=exc.messages[0], fields={"username": exc.messages})


class CaseStaffView(ApiView):
    """設定対象者の担当（責任者のみ）。担当以外の職員は、閲覧・照会の前に理由の入力を求められる."""

    permission_classes = [ManagesCaseStaff]

    @extend_schema(summary="担当の一覧（責任者のみ）", parameters=[id_param("設定対象者ID")],
                   responses=read_responses(CaseStaffListOut), tags=TAGS)
    def get(self, request, pk: str):
        return _answer(_case(request, pk))


class AddCaseStaffView(ApiView):
    """設定対象者の担当に加える（責任者のみ、自保険者の有効な職員）."""

    permission_classes = [ManagesCaseStaff]

    @extend_schema(summary="担当の追加（責任者のみ）", request=StaffIn, parameters=[id_param("設定対象者ID")],
                   description="他の保険者の職員・無効な職員は 400 staff_unknown、すでに担当なら 400 already_in_charge。",
                   responses=write_responses(CaseStaffListOut, status=201), tags=TAGS)
    def post(self, request, pk: str):
        case = _case(request, pk)
        username = valid(StaffIn, request)["username"]
        try:
            access_log.add_case_staff(actor=request.user, case=case, staff=_staff(request, username))
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return _answer(case, status.HTTP_201_CREATED)


class RemoveCaseStaffView(ApiView):
    """設定対象者の担当から外す（責任者のみ。登録した職員も外せる）."""

    permission_classes = [ManagesCaseStaff]

    @extend_schema(summary="担当から外す（責任者のみ）", request=StaffIn, parameters=[id_param("設定対象者ID")],
                   description="担当でない職員は 400 not_in_charge。",
                   responses=write_responses(CaseStaffListOut), tags=TAGS)
    def post(self, request, pk: str):
        case = _case(request, pk)
        username = valid(StaffIn, request)["username"]
        try:
            access_log.remove_case_staff(actor=request.user, case=case, staff=_staff(request, username))
        except DjangoValidationError as exc:
            raise _refused(exc) from None
        return _answer(case)
