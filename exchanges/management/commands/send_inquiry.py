"""manage.py send_inquiry: a 情報照会 by a staff member, through the one choke point (exchanges.services)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand

from exchanges.management import lookup
from exchanges.services import ExchangeNotSent, InquiryRequest, send_inquiry


class Command(BaseCommand):
    help = (
        "職員として情報照会を送信します。不開示該当フラグの確認と不開示コードの自動設定は画面・APIと同じ窓口で行われます。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff", required=True, help="照会する職員のユーザー名（担当者または責任者）")
        subject = parser.add_mutually_exclusive_group(required=True)
        subject.add_argument("--branch", help="自保険者の被保険者枝番")
        subject.add_argument("--person", help="個人識別子（被保険者でない個人、例: 加害者）")
        parser.add_argument("--procedure", required=True, help="事務コード（例: kenpo_benefit）")
        parser.add_argument("--item", required=True, help="特定個人情報コード（例: local_tax）")
        parser.add_argument("--provider", required=True, help="照会先（保険者番号・名称・ID）")
        parser.add_argument(
            "--nondisclosure-code", action="store_true", help="不開示コードを手動で設定する（加害者に係る照会では毎回）"
        )

    def handle(self, *args, **opts):
        actor = lookup.staff(opts["staff"])
        member = lookup.member_of(actor.institution, opts["branch"]) if opts["branch"] else None
        request = InquiryRequest(
            procedure=lookup.procedure(opts["procedure"]),
            item=lookup.item(opts["item"]),
            provider=lookup.institution(opts["provider"], label="照会先"),
            member=member,
            sim_id=opts["person"],
            nondisclosure_code=opts["nondisclosure_code"],
        )
        try:
            record = send_inquiry(actor=actor, request=request)
        except (ValidationError, PermissionDenied, ExchangeNotSent) as exc:
            raise lookup.refuse(exc) from exc
        self.stdout.write(self.style.SUCCESS("情報照会を送信しました。"))
        self.stdout.write(lookup.describe(record))
