from django.core.management.base import BaseCommand, CommandError

from demo.scale import Sizes, generate


class Command(BaseCommand):
    help = (
        "ベンチマーク用の合成データを空のデータベースに作成します（seed 固定で毎回同じ内容、PostgreSQL では COPY）。"
        "既定: 被保険者 100万（複数の保険者）、やりとり 500万、設定 100万、設定対象者 2,000。"
    )

    def add_arguments(self, parser):
        d = Sizes()
        parser.add_argument("--members", type=int, default=d.members, help="被保険者（と個人）の数")
        parser.add_argument("--records", type=int, default=d.records, help="情報提供等記録の数")
        parser.add_argument("--flag-settings", type=int, default=d.settings, help="不開示該当フラグ等の設定の数（被保険者1人に1件まで）")
        parser.add_argument("--cases", type=int, default=d.cases, help="設定対象者（保護ケース）の数")
        parser.add_argument("--insurers", type=int, default=d.insurers, help="保険者の数")
        parser.add_argument("--municipalities", type=int, default=d.municipalities, help="市町村の数")
        parser.add_argument("--seed", type=int, default=12, help="乱数の種")
        parser.add_argument("--names", choices=["zipf", "uniform"], default="zipf",
                            help="氏名の分布: zipf（実際に近い長い裾）または uniform（よくある姓40×名30を均等に）")

    def handle(self, *args, **o):
        sizes = Sizes(members=o["members"], records=o["records"], settings=o["flag_settings"], cases=o["cases"],
                      insurers=o["insurers"], municipalities=o["municipalities"])
        if sizes.insurers < 1 or sizes.municipalities < 1 or min(sizes.members, sizes.records, sizes.settings,
                                                                  sizes.cases) < 0:
            raise CommandError("件数が正しくありません。")
        try:
            counts = generate(sizes, seed=o["seed"], names=o["names"], write=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"作成しました: 機関 {counts.institutions}、個人 {counts.persons:,}、被保険者 {counts.members:,}、"
            f"やりとり {counts.records:,}、設定 {counts.settings:,}、設定対象者 {counts.cases:,}"
        ))
