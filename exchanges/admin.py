"""The operator's admin (/ops-admin/): exchange records are read-only; the one act is a re-send through the choke point."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.admin import ReadOnlyAdmin
from audit.services import record as audit
from exchanges.models import AppendRequest, ExchangeRecord
from exchanges.services import ExchangeNotSent, InquiryRequest, send_inquiry
from members.admin import members_of_persons


def resend_request(record: ExchangeRecord) -> InquiryRequest:
    """The same inquiry again. A 不開示コード the original carried is carried over (a hand-set one above all:
    case ② must never lose it by a re-send); the automatic one is decided afresh by send_inquiry."""
    return InquiryRequest(
        procedure=record.procedure,
        item=record.item,
        provider=record.provider,
        sim_id=record.subject.sim_id,
        nondisclosure_code=record.inquiry_code,
    )


@admin.register(ExchangeRecord)
class ExchangeRecordAdmin(ReadOnlyAdmin):
    """情報提供等記録 for the server operator: read-only, plus the action 「同じ内容で再照会」.

    Why an operator re-sends: after an NWS fault an insurer asks the operator (in writing) to repeat inquiries its
    staff sent. The operator never becomes an inquirer of its own: the new inquiry is sent *as the original
    inquirer* (who must still be an active 担当者 or 責任者 of that insurer, so role and tenancy checks apply),
    through exchanges.services.send_inquiry — so the 不開示該当フラグ check and the automatic 不開示コード are made
    at the moment of the re-send, exactly as for a page or the API. Only superusers see the action; each re-send
    is audited twice in one transaction: by send_inquiry (actor: the inquirer) and as `admin.inquiry_resent`
    (actor: the operator, naming the original record). Records an insurer received (peer inquiries) are refused.
    """

    list_display = (
        "inquired_at", "inquirer_display", "inquirer_department_display", "provider_display", "item", "state",
        "inquiry_code", "provision_code", "appended_nondisclosure_at",
    )
    list_filter = ("state", "inquiry_code", "provision_code")
    actions = ["resend_inquiries"]

    def members_shown(self, objects):
        ids = set()
        for r in objects:
            ids |= members_of_persons([r.subject_id], [r.inquirer_id, r.provider_id])
        return ids

    def has_resend_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.action(description="同じ内容で再照会（元の照会者として・不開示判定は送信時）", permissions=["resend"])
    def resend_inquiries(self, request, queryset):
        if not self.has_resend_permission(request):
            raise PermissionDenied
        sent, refused = 0, []
        for original in queryset.select_related("inquirer", "inquired_by", "subject", "procedure", "item", "provider"):
            try:
                self._resend(request, original)
                sent += 1
            except (ValidationError, PermissionDenied, ExchangeNotSent) as exc:
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                refused.append(f"{original.pk}: {reason}")
        if sent:
            self.message_user(request, f"{sent} 件を再照会しました。", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"再照会できませんでした（{line}）", messages.ERROR)

    @staticmethod
    def _resend(request, original: ExchangeRecord) -> ExchangeRecord:
        inquirer = original.inquired_by
        if not original.inquirer.is_tenant or inquirer is None:
            raise ValidationError("Nakama利用保険者の職員が送信した照会ではないため、再照会できません。")
        if not inquirer.is_active or inquirer.institution_id != original.inquirer_id:
            raise ValidationError("元の照会者のアカウントが無効なため、再照会できません。")
        with transaction.atomic():
            record = send_inquiry(actor=inquirer, request=resend_request(original))
            audit(
                actor=request.user,
                institution=original.inquirer,
                action="admin.inquiry_resent",
                target=record,
                after={"original": str(original.pk), "inquiry_code_source": record.inquiry_code_source},
                message=f"運用者による再照会（元の記録 {original.pk}、照会者 {inquirer}）",
            )
        return record


@admin.register(AppendRequest)
class AppendRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "institution", "requested_by_name", "processed_at")
    list_select_related = ("record",)

    def members_shown(self, objects):
        ids = set()
        for a in objects:
            ids |= members_of_persons([a.record.subject_id], [a.institution_id])
        return ids
