"""Synthetic national-scale data for benchmarks (`manage.py generate_scale_data`), COPY-loaded on PostgreSQL.

Deterministic: the same seed and sizes give the same rows. Column lists come from each model's concrete fields;
a field the generator does not fill takes its model default (or NULL), so a new defaulted field added to a model
does not break it. Never for a database holding real data: the command refuses a non-empty one.

The shape follows bench/RESULTS.md: several insurers of unequal size behind the intermediate server, a few
municipalities as peers, exchanges between them about members, settings on members, open protection cases.
Two fixed persons make the portal pair: HEAVY_RECORDS shown records for person #1, LIGHT_RECORDS for person #2.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from demo.scale_loader import Loader, reset_sequences
from demo.scale_names import person_of, sim_id
from exchanges import partitions
from exchanges.ids import record_id
from exchanges.models import ExchangeRecord, ExchangeState
from flags.models import CaseLinkedPerson, ProtectionCase, Setting
from flags.policy import SettingKind
from flags.services import default_review_date
from institutions.insurer_number import check_digit
from institutions.models import Department, Institution, InstitutionKind
from members.models import Member, Person, Procedure

HEAVY_RECORDS = 1003
LIGHT_RECORDS = 3
NOW = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
YEARS = 5


@dataclass(frozen=True)
class Sizes:
    members: int = 1_000_000
    records: int = 5_000_000
    settings: int = 1_000_000
    cases: int = 2_000
    insurers: int = 8
    municipalities: int = 6


@dataclass
class Counts:
    institutions: int = 0
    persons: int = 0
    members: int = 0
    records: int = 0
    settings: int = 0
    cases: int = 0


def _insurer_number(index: int) -> str:
    body = f"06{13:02d}{index + 1:03d}"  # 健保組合 (法別番号 06), 東京都 (13)
    return body + str(check_digit(body))


def generate(
    sizes: Sizes, *, seed: int = 12, names: str = "zipf", write: Callable[[str], None] = print
) -> Counts:
    """Fill an empty database with `sizes` of synthetic data; returns what was written."""
    if Member.objects.exists() or ExchangeRecord.objects.exists():
        raise RuntimeError("データベースが空ではありません。generate_scale_data は空のデータベースにのみ使えます。")
    rng = random.Random(seed)
    loader = Loader(write)
    counts = Counts()

    # Institutions: a handful of rows, through the ORM.
    insurers, departments = [], {}
    for i in range(sizes.insurers):
        insurer = Institution.objects.create(
            name=f"スケール健康保険組合{i + 1:02d}", kind=InstitutionKind.HEALTH_INSURANCE_SOCIETY,
            insurer_number=_insurer_number(i), is_tenant=True,
        )
        insurers.append(insurer)
        departments[insurer.pk] = Department.objects.create(institution=insurer, name="業務部")
    cities = [
        Institution.objects.create(name=f"スケール市{i + 1:02d}", kind=InstitutionKind.MUNICIPALITY)
        for i in range(sizes.municipalities)
    ]
    counts.institutions = len(insurers) + len(cities)
    # Unequal insurers, as in life: the first carries about a third of the members.
    weights = [3.0] + [1.0 + (i % 3) * 0.5 for i in range(1, sizes.insurers)]
    procedures = [(p.pk, [i.pk for i in p.items.all()]) for p in Procedure.objects.prefetch_related("items")]
    procedures = [(p, items) for p, items in procedures if items]
    if not procedures:
        raise RuntimeError("事務・特定個人情報のカタログがありません（members 0002_catalogue を適用してください）。")

    person_base = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    member_base = (Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    member_insurer = [rng.choices(range(sizes.insurers), weights)[0] for _ in range(sizes.members)]

    def person_rows():
        for i in range(sizes.members):
            name, kana, birth = person_of(i, seed, names)
            yield {"id": person_base + i, "sim_id": sim_id(i), "name": name, "kana": kana, "birth_date": birth}

    def member_rows():
        for i in range(sizes.members):
            name, kana, birth = person_of(i, seed, names)
            yield {"id": member_base + i, "insurer_id": insurers[member_insurer[i]].pk,
                   "branch_number": f"{i + 1:010d}", "person_id": person_base + i, "name": name, "kana": kana,
                   "birth_date": birth, "symbol_number": f"{member_insurer[i] + 1:02d}-{i % 100_000:05d}",
                   "acquired_on": datetime.date(2015, 4, 1) + datetime.timedelta(days=i % 3000)}

    write(f"生成: 個人 {sizes.members:,}、被保険者 {sizes.members:,}、やりとり {sizes.records:,}、"
          f"設定 {sizes.settings:,}、設定対象者 {sizes.cases:,}（seed {seed}）")
    counts.persons = loader.load(Person, person_rows(), sizes.members)
    counts.members = loader.load(Member, member_rows(), sizes.members)

    # Exchanges: person #1 has HEAVY_RECORDS shown records, person #2 LIGHT_RECORDS; the rest spread evenly.
    span = int(datetime.timedelta(days=365 * YEARS).total_seconds())
    fixed = [(0, HEAVY_RECORDS), (1, LIGHT_RECORDS)] if sizes.members >= 2 else []
    fixed_total = sum(n for _, n in fixed)

    def record_rows():
        def one(member_index: int, plain: bool):
            insurer = insurers[member_insurer[member_index]]
            city = cities[rng.randrange(len(cities))]
            we_ask = rng.random() < 0.5
            inquirer, provider = (insurer, city) if we_ask else (city, insurer)
            procedure, items = procedures[rng.randrange(len(procedures))]
            roll = rng.random()
            state = ExchangeState.PROVIDED
            if not plain:
                state = (ExchangeState.PENDING if roll < 0.01 else ExchangeState.MANUAL if roll < 0.011
                         else ExchangeState.DECLINED if roll < 0.02 else ExchangeState.PROVIDED)
            inquired_at = NOW - datetime.timedelta(seconds=rng.randrange(span))
            inquiry_code = not plain and rng.random() < 0.02
            provision_code = not plain and state == ExchangeState.PROVIDED and rng.random() < 0.02
            appended = not plain and state == ExchangeState.PROVIDED and rng.random() < 0.002
            department = departments[inquirer.pk] if we_ask else None
            return {
                "id": record_id(inquired_at, rng.getrandbits(80)), "inquirer_id": inquirer.pk,
                "inquirer_department_id": department.pk if department else None, "provider_id": provider.pk,
                "procedure_id": procedure, "item_id": items[rng.randrange(len(items))],
                "subject_id": person_base + member_index,
                "inquirer_display": inquirer.nws_display_name,
                "inquirer_department_display": department.nws_display_name if department else "",
                "provider_display": provider.nws_display_name, "state": state, "inquired_at": inquired_at,
                "provided_at": inquired_at + datetime.timedelta(seconds=3) if state == ExchangeState.PROVIDED else None,
                "inquiry_code": inquiry_code, "inquiry_code_source": "manual" if inquiry_code else "",
                "provision_code": provision_code, "provision_code_source": "auto" if provision_code else "",
                "provided_content": {"資格": "有"} if state == ExchangeState.PROVIDED else None,
                "appended_nondisclosure_at": inquired_at + datetime.timedelta(days=30) if appended else None,
            }

        for member_index, n in fixed:
            for _ in range(n):
                yield one(member_index, plain=True)
        for _ in range(max(sizes.records - fixed_total, 0)):
            yield one(rng.randrange(2, sizes.members) if sizes.members > 2 else 0, plain=False)

    if partitions.is_partitioned():  # every month of the span gets its partition before its rows arrive
        made = partitions.ensure(NOW - datetime.timedelta(seconds=span), NOW)
        write(f"情報提供等記録の月区画: {len(made)}か月分")
    counts.records = loader.load(ExchangeRecord, record_rows(), sizes.records)

    # Settings: one per member from the third on, the kind cycling; a tenth cleared (history).
    kinds = [SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO, SettingKind.NO_AUTO_RESPONSE]
    setting_members = range(2, min(sizes.members, sizes.settings + 2))

    def setting_rows():
        for n, i in enumerate(setting_members):
            set_at = NOW - datetime.timedelta(seconds=rng.randrange(span))
            cleared = n % 10 == 9
            yield {"id": n + 1, "institution_id": insurers[member_insurer[i]].pk, "member_id": member_base + i,
                   "person_id": person_base + i, "kind": kinds[n % 3].value, "item_id": None,
                   "reason": "生成データ", "set_at": set_at, "set_by_name": "生成",
                   "cleared_at": set_at + datetime.timedelta(days=90) if cleared else None,
                   "cleared_by_name": "生成" if cleared else "", "clear_reason": "生成データ" if cleared else ""}

    counts.settings = loader.load(Setting, setting_rows(), len(setting_members))

    # Protection cases: members holding an active 不開示該当 setting (every third from the third), one each.
    case_fields = {f.name for f in ProtectionCase._meta.concrete_fields}
    case_members = [i for n, i in enumerate(setting_members) if n % 3 == 0 and n % 10 != 9][: sizes.cases]

    case_opened = {}

    def case_rows():
        for n, i in enumerate(case_members):
            opened = NOW - datetime.timedelta(days=rng.randrange(1, 700))
            case_opened[n + 1] = (i, opened)
            row = {"id": n + 1, "institution_id": insurers[member_insurer[i]].pk, "member_id": member_base + i,
                   "victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True,
                   "opened_at": opened, "review_on": default_review_date(opened.date())}
            if "case_inquiry_about_abuser" in case_fields:
                row["case_inquiry_about_abuser"] = True
            yield row

    counts.cases = loader.load(ProtectionCase, case_rows(), len(case_members))

    def link_rows():  # one 要注意照会対象者 (the abuser, another person) per case
        for case_id, (i, opened) in case_opened.items():
            yield {"id": case_id, "case_id": case_id, "institution_id": insurers[member_insurer[i]].pk,
                   "person_id": person_base + (i + 1) % sizes.members, "reason": "加害者", "added_at": opened}

    loader.load(CaseLinkedPerson, link_rows(), len(case_opened))
    reset_sequences([Person, Member, Setting, ProtectionCase, CaseLinkedPerson])
    if connection.vendor == "postgresql":
        write("  ANALYZE …")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts
