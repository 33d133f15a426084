"""Synthetic national-scale data for benchmarks (`manage.py generate_scale_data`), COPY-loaded on PostgreSQL.

Deterministic: the same seed and sizes give the same rows. Column lists come from each model's concrete fields;
a field the generator does not fill takes its model default (or NULL), so a new defaulted field added to a model
does not break it. Never for a database holding real data: the command refuses a non-empty one.

The shape follows bench/RESULTS.md: several insurers of unequal size behind the intermediate server, a few
municipalities as peers, exchanges between them about members, settings on members, open protection cases.
Two fixed persons make the portal pair: HEAVY_RECORDS shown records for person #1, LIGHT_RECORDS for person #2.
"""

import bisect
import csv
import datetime
import io
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone

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

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
    ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"),
    ("前田", "マエダ"), ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"), ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
]
GIVEN = [
    ("花子", "ハナコ"), ("太郎", "タロウ"), ("一郎", "イチロウ"), ("次郎", "ジロウ"), ("恵", "メグミ"),
    ("裕子", "ユウコ"), ("健", "ケン"), ("翔太", "ショウタ"), ("美咲", "ミサキ"), ("陽菜", "ヒナ"),
    ("大輔", "ダイスケ"), ("直樹", "ナオキ"), ("由美", "ユミ"), ("久美子", "クミコ"), ("誠", "マコト"),
    ("明美", "アケミ"), ("拓也", "タクヤ"), ("愛", "アイ"), ("浩", "ヒロシ"), ("真由美", "マユミ"),
    ("蓮", "レン"), ("結衣", "ユイ"), ("悠真", "ユウマ"), ("葵", "アオイ"), ("湊", "ミナト"),
    ("さくら", "サクラ"), ("大和", "ヤマト"), ("凛", "リン"), ("陸", "リク"), ("七海", "ナナミ"),
]
_SIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # as members.models: letters only, never a real-looking 個人番号


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


def sim_id(index: int) -> str:
    """A unique, deterministic, not sequential-looking SIM-XXXX-XXXX for person `index` (a bijection mod 24^8)."""
    n = (index * 2_654_435_761 + 97_531) % (24**8)
    letters = []
    for _ in range(8):
        n, r = divmod(n, 24)
        letters.append(_SIM_ALPHABET[r])
    return f"SIM-{''.join(letters[:4])}-{''.join(letters[4:])}"


class _Chunks(io.RawIOBase):
    """A file-like object COPY reads from, filled by a generator of CSV text chunks."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk.encode()
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _csv_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


NULL = "\\N"


class Loader:
    """Writes rows of one model: COPY on PostgreSQL, bulk INSERT elsewhere. Prints progress and rows/s."""

    def __init__(self, write: Callable[[str], None], chunk_rows: int = 20_000):
        self.write = write
        self.chunk_rows = chunk_rows

    @staticmethod
    def columns(model: type[models.Model], given: Iterable[str]) -> tuple[list[models.Field], dict]:
        """Every concrete field; those not `given` take the model default (or NULL). A required field without
        a default that the generator does not know is an error, so a changed model is noticed, not guessed."""
        given = set(given)
        fields, defaults = [], {}
        for f in model._meta.concrete_fields:
            fields.append(f)
            if f.attname in given or f.name in given:
                continue
            if f.has_default():
                defaults[f.attname] = f.get_default()
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = timezone.now()
            elif f.null:
                defaults[f.attname] = None
            elif f.blank and f.empty_strings_allowed:
                defaults[f.attname] = ""
            else:
                raise RuntimeError(f"generate_scale_data: {model.__name__}.{f.name} has no default; add it to the generator")
        return fields, defaults

    def load(self, model: type[models.Model], rows: Iterable[dict], total: int) -> int:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        fields, defaults = self.columns(model, first)
        names = [f.attname for f in fields]
        started = time.monotonic()
        done = 0

        def report(what="streamed"):
            elapsed = max(time.monotonic() - started, 1e-6)
            self.write(f"  {model._meta.db_table}: {done:,}/{total:,} rows {what}, {elapsed:.1f} s, "
                       f"{done / elapsed:,.0f} rows/s")

        def records():
            nonlocal done
            for row in _prepend(first, rows):
                done += 1
                if done % 500_000 == 0:
                    report()
                yield [_value(row, name, defaults) for name in names]

        if connection.vendor == "postgresql":
            def chunks():
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                for n, values in enumerate(records(), 1):
                    writer.writerow([NULL if v is None else _csv_value(v) for v in values])
                    if n % self.chunk_rows == 0:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
                yield buffer.getvalue()

            column_sql = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY {connection.ops.quote_name(model._meta.db_table)} ({column_sql}) "
                    f"FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
                    _Chunks(chunks()),
                    size=1 << 16,
                )
        else:
            batch = []
            for values in records():
                batch.append(model(**dict(zip(names, values, strict=True))))
                if len(batch) >= 2_000:
                    model._base_manager.bulk_create(batch) if model is not ExchangeRecord else _bulk_records(batch)
                    batch = []
            if batch:
                model._base_manager.bulk_create(batch) if model is not ExchangeRecord else _bulk_records(batch)
        report("loaded")  # in autocommit this includes the deferred foreign-key checks run at commit
        return done


def _bulk_records(batch):
    from exchanges.models import nws_write

    with nws_write():  # the synthetic NWS history of an empty scratch database (SQLite only; PostgreSQL uses COPY)
        ExchangeRecord.objects.bulk_create(batch)


def _prepend(first, rest):
    yield first
    yield from rest


def _value(row: dict, name: str, defaults: dict):
    if name in row:
        return row[name]
    return defaults[name]


def _insurer_number(index: int) -> str:
    body = f"06{13:02d}{index + 1:03d}"  # 健保組合 (法別番号 06), 東京都 (13)
    return body + str(check_digit(body))


def _reset_sequences(models_: list[type[models.Model]]) -> None:
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)


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
            name, kana, birth = _person_of(i, seed, names)
            yield {"id": person_base + i, "sim_id": sim_id(i), "name": name, "kana": kana, "birth_date": birth}

    def member_rows():
        for i in range(sizes.members):
            name, kana, birth = _person_of(i, seed, names)
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
    _reset_sequences([Person, Member, Setting, ProtectionCase, CaseLinkedPerson])
    if connection.vendor == "postgresql":
        write("  ANALYZE …")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


# Surname and given-name kanji with a reading, combined into a long tail beyond the real commonest names.
_SURNAME_KANJI = [
    ("山", "ヤマ"), ("田", "タ"), ("川", "カワ"), ("中", "ナカ"), ("本", "モト"), ("村", "ムラ"), ("木", "キ"),
    ("井", "イ"), ("藤", "フジ"), ("野", "ノ"), ("原", "ハラ"), ("小", "コ"), ("大", "オオ"), ("石", "イシ"),
    ("松", "マツ"), ("高", "タカ"), ("森", "モリ"), ("岡", "オカ"), ("島", "シマ"), ("西", "ニシ"),
    ("北", "キタ"), ("上", "カミ"), ("下", "シモ"), ("前", "マエ"), ("宮", "ミヤ"), ("沢", "サワ"), ("浜", "ハマ"),
    ("谷", "タニ"), ("橋", "ハシ"), ("池", "イケ"), ("内", "ウチ"), ("竹", "タケ"), ("金", "カネ"), ("長", "ナガ"),
    ("福", "フク"), ("平", "ヒラ"), ("吉", "ヨシ"), ("安", "ヤス"), ("今", "イマ"), ("杉", "スギ"), ("新", "ニイ"),
    ("千", "チ"), ("坂", "サカ"), ("桜", "サクラ"), ("秋", "アキ"), ("青", "アオ"), ("白", "シラ"), ("黒", "クロ"),
    ("荒", "アラ"), ("菊", "キク"), ("星", "ホシ"), ("岩", "イワ"), ("片", "カタ"), ("早", "ハヤ"), ("寺", "テラ"),
    ("堀", "ホリ"), ("服", "ハット"), ("久", "ク"), ("柴", "シバ"), ("横", "ヨコ"),
]
_GIVEN_HEADS = [
    ("和", "カズ"), ("恵", "メグ"), ("美", "ミ"), ("真", "マ"), ("由", "ユ"), ("健", "ケン"), ("翔", "ショウ"),
    ("大", "ダイ"), ("優", "ユウ"), ("陽", "ハル"), ("誠", "セイ"), ("拓", "タク"), ("直", "ナオ"), ("裕", "ヒロ"),
    ("智", "トモ"), ("浩", "コウ"), ("明", "アキ"), ("結", "ユ"), ("悠", "ユウ"), ("奈", "ナ"),
]
_GIVEN_TAILS = [("子", "コ"), ("美", "ミ"), ("郎", "ロウ"), ("太", "タ"), ("介", "スケ"), ("也", "ヤ"), ("樹", "キ"),
                ("香", "カ"), ("人", "ト"), ("斗", "ト")]


def _zipf_table(names: list[tuple[str, str]], offset: int = 10) -> list[float]:
    """Cumulative weights 1/(rank + offset): the first name about 1.7 % of people for 4,000 surnames, as 佐藤 is."""
    total, table = 0.0, []
    for rank in range(len(names)):
        total += 1.0 / (rank + offset)
        table.append(total)
    return [w / total for w in table]


_ALL_SURNAMES = SURNAMES + [(a + b, ak + bk) for a, ak in _SURNAME_KANJI for b, bk in _SURNAME_KANJI
                            if a != b and (a + b) not in {s for s, _ in SURNAMES}]
_ALL_GIVEN = GIVEN + [(a + b, ak + bk) for a, ak in _GIVEN_HEADS for b, bk in _GIVEN_TAILS if a != b]
_SURNAME_CDF = _zipf_table(_ALL_SURNAMES)
_GIVEN_CDF = _zipf_table(_ALL_GIVEN)


def _person_of(index: int, seed: int, names: str = "zipf") -> tuple[str, str, datetime.date]:
    """Name, カナ and birth date of person `index`: a pure function of index and seed, so the person and the member
    rows agree without keeping a million names in memory.

    `zipf` (default): ~3,500 surnames and ~220 given names with a long tail, the commonest about as frequent as in
    Japan; `uniform`: the 40 common surnames × 30 given names, evenly (every surname 2.5 % of people, the data the
    2026-11-27 figures of bench/RESULTS.md were measured on)."""
    h = (index * 0x9E3779B1 + seed * 0x85EBCA77) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=(h >> 16) % 30_000)
    if names == "uniform":
        (sn, sk), (gn, gk) = SURNAMES[h % len(SURNAMES)], GIVEN[(h >> 8) % len(GIVEN)]
        return f"{sn} {gn}", f"{sk} {gk}", birth
    g = (h * 0x27D4EB2F + 0x165667B1) & 0xFFFFFFFF
    (sn, sk) = _ALL_SURNAMES[bisect.bisect_left(_SURNAME_CDF, (h & 0xFFFFFF) / 0x1000000)]
    (gn, gk) = _ALL_GIVEN[bisect.bisect_left(_GIVEN_CDF, (g & 0xFFFFFF) / 0x1000000)]
    return f"{sn} {gn}", f"{sk} {gk}", birth
