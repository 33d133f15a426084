"""manage.py peer_inquiry: a simulated municipality or peer insurer sends an inquiry to one of our insurers.

Used to play 別紙3 ①-1 (乙市 asks about the victim) and ③ (an inquiry meeting 自動応答不可).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from exchanges.management import lookup
from exchanges.services import receive_inquiry


class Command(BaseCommand):
    help = "自治体（または他の保険者）から Nakama 利用保険者への情報照会をシミュレーションします。"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="inquirer", required=True, help="照会機関（名称・保険者番号・ID）")
        parser.add_argument("--department", help="照会機関の部署名（例: 福祉課）")
        parser.add_argument("--to", dest="provider", required=True, help="照会先の保険者（名称・保険者番号・ID）")
        subject = parser.add_mutually_exclusive_group(required=True)
        subject.add_argument("--branch", help="照会先保険者の被保険者枝番")
        subject.add_argument("--person", help="個人識別子")
        parser.add_argument("--procedure", required=True, help="事務コード（例: welfare）")
        parser.add_argument("--item", required=True, help="特定個人情報コード（例: medical_eligibility）")
        parser.add_argument(
            "--nondisclosure-code", action="store_true", help="照会機関の職員が不開示コードを手動で設定する"
        )

    def handle(self, *args, **opts):
        inquirer = lookup.institution(opts["inquirer"], label="照会機関")
        provider = lookup.institution(opts["provider"], label="照会先")
        subject = lookup.member_of(provider, opts["branch"]).person if opts["branch"] else lookup.person(opts["person"])
        try:
            record = receive_inquiry(
                inquirer=inquirer,
                department=lookup.department(inquirer, opts["department"]),
                provider=provider,
                subject=subject,
                procedure=lookup.procedure(opts["procedure"]),
                item=lookup.item(opts["item"]),
                nondisclosure_code=opts["nondisclosure_code"],
            )
        except ValidationError as exc:
            raise lookup.refuse(exc) from exc
        self.stdout.write(self.style.SUCCESS(f"{inquirer.name} からの情報照会を {provider.name} が受信しました。"))
        self.stdout.write(lookup.describe(record))
