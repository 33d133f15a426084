"""Who looked at her, over the API (issue 17 point 6): a case's 閲覧記録 and the weekly digest of accesses to
protected persons. 監査者 only, scoped to the insurer (another insurer's case is 404), and each read is audited."""

import datetime

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response

from api.permissions import IsAuditor
from api.schema import id_param, read_responses
from api.views.common import ApiView, get_scoped
from audit.services import record as audit
from flags import access_digest
from flags.models import ProtectionCase

TAGS = ["閲覧記録"]


class AccessOut(serializers.Serializer):
    """保護対象者の閲覧1件."""

    at = serializers.DateTimeField(help_text="日時")
    staff = serializers.CharField(source="actor_name", help_text="職員（自保険者の職員名）")
    in_charge = serializers.BooleanField(help_text="担当であったか（false: 担当外、理由の入力あり）")
    channel = serializers.CharField(help_text="何を（画面・照会・プレビュー）")
    reason = serializers.CharField(help_text="理由（担当外の職員が入力）")


class CaseAccessLogOut(serializers.Serializer):
    case = serializers.IntegerField(help_text="設定対象者ID")
    results = AccessOut(many=True)


class CaseAccessLogView(ApiView):
    """設定対象者の閲覧記録: 誰が・いつ・何を・なぜ（新しい順、最大500件）."""

    permission_classes = [IsAuditor]

    @extend_schema(summary="設定対象者の閲覧記録（監査者のみ）", parameters=[id_param("設定対象者ID")],
                   responses=read_responses(CaseAccessLogOut), tags=TAGS)
    def get(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member"), pk=pk)
        rows = access_digest.member_access_log(request.user, case.member, limit=500)
        with transaction.atomic():
            audit(actor=request.user, action="audit.access_log_viewed", target=case.member,
                  after={"case": case.pk, "rows": len(rows)})
        return Response({"case": case.pk, "results": AccessOut(rows, many=True).data})


class DigestRowOut(serializers.Serializer):
    branch_number = serializers.CharField(source="member.branch_number", default="", help_text="設定対象者の被保険者枝番")
    name = serializers.CharField(source="member.name", default="", help_text="設定対象者の氏名")
    staff = serializers.CharField(source="actor_name", help_text="職員")
    in_charge = serializers.BooleanField(help_text="担当であったか")
    count = serializers.IntegerField(help_text="回数")
    first_at = serializers.DateTimeField(help_text="最初")
    last_at = serializers.DateTimeField(help_text="最後")
    channels = serializers.ListField(child=serializers.CharField(), help_text="何を")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="理由")


class DigestOut(serializers.Serializer):
    week = serializers.DateField(source="monday", help_text="週の初日（月曜日）")
    total = serializers.IntegerField(help_text="閲覧の件数")
    outside_count = serializers.IntegerField(help_text="うち担当外の職員による件数")
    results = DigestRowOut(many=True, source="rows", help_text="対象者・職員ごと、担当外が先")


class AccessDigestView(ApiView):
    """保護対象者の閲覧記録（週次）: 対象者・職員ごと、担当外の職員による閲覧を先に."""

    permission_classes = [IsAuditor]

    @extend_schema(
        summary="保護対象者の閲覧記録（週次・監査者のみ）",
        parameters=[OpenApiParameter("week", OpenApiTypes.DATE, description="その週の任意の日（YYYY-MM-DD、省略時は今週）")],
        responses=read_responses(DigestOut, extra=(400,)), tags=TAGS,
    )
    def get(self, request):
        text = (request.query_params.get("week") or "").strip()
        try:
            day = datetime.date.fromisoformat(text) if text else timezone.localdate()
        except ValueError:
            raise DrfValidationError({"week": ["週は YYYY-MM-DD の形式の日付で指定してください。"]}) from None
        try:
            digest = access_digest.weekly_digest(request.user, day=day)
        except (OverflowError, ValueError):  # the first and last weeks of the calendar: no instant bounds them
            raise DrfValidationError({"week": ["この週の閲覧記録は表示できません。別の日付を指定してください。"]}) from None
        with transaction.atomic():
            access_digest.record_digest_read(actor=request.user, monday=digest.monday, rows=len(digest.rows),
                                          channel="API")
        return Response(DigestOut(digest).data)
