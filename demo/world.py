"""The demo world: the same institutions, staff, persons and data every time.

Other apps extend it with a `seed(world)` function listed in EXTENSIONS (exchanges, cards and PINs, ...).
"""

import datetime
import importlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from flags.family import add_companion
from flags.handover import offer_handover
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting, update_case_checklist
from institutions.models import Department, Institution, InstitutionKind, Role, Staff, StaffOrigin
from members.enrolment import run_enrolment_hooks
from members.models import InfoItem, Member, Person
from members.services import record_loss, register_replica

DEMO_PASSWORD = "nakama-demo-2026"
OPERATOR = ("ops", "nakama-ops-2026")

# Modules with a seed(world) function, run in this order after the base world is built.
EXTENSIONS = ["exchanges.demo", "exchanges.demo_followups", "demo.walkin", "portal_sim.demo"]


@dataclass
class World:
    institutions: dict[str, Institution] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    items: dict[str, InfoItem] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, password, description)
    notes: list[str] = field(default_factory=list)


def _institution(world, key, name, kind, number="", tenant=False, departments=()):
    inst = Institution(name=name, kind=kind, insurer_number=number, is_tenant=tenant)
    inst.full_clean()
    inst.save()
    world.institutions[key] = inst
    for dept_key, dept_name in departments:
        world.departments[dept_key] = Department.objects.create(institution=inst, name=dept_name)
    return inst


def _staff(world, username, display_name, institution_key, department_key, role):
    user = Staff.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        display_name=display_name,
        institution=world.institutions[institution_key],
        department=world.departments[department_key],
        role=role,
        created_via=StaffOrigin.DEMO,  # made by the operator's seed: independent of one another (four eyes)
    )
    world.staff[username] = user
    world.logins.append((username, DEMO_PASSWORD, f"{user.institution.name} {Role(role).label}"))
    return user


def _person(world, key, sim_id, name, kana, birth):
    world.persons[key] = Person.objects.create(sim_id=sim_id, name=name, kana=kana, birth_date=birth)
    return world.persons[key]


def _member(world, key, actor, person, branch, symbol, acquired, registered_at):
    inst = actor.institution
    with transaction.atomic():
        member = Member.objects.create(
            insurer=inst,
            branch_number=branch,
            person=person,
            name=person.name,
            kana=person.kana,
            birth_date=person.birth_date,
            symbol_number=symbol,
            acquired_on=acquired,
        )
        run_enrolment_hooks(actor=actor, member=member)  # as every 加入 does (引継ぎによる仮設定)
    world.members[key] = member
    register_replica(
        actor=actor,
        member=member,
        item=world.items["medical_eligibility"],
        content={
            "保険者名称": inst.name,
            "保険者番号": inst.insurer_number,
            "記号・番号": symbol,
            "資格取得日": acquired.isoformat(),
            "資格喪失日": None,
        },
        registered_at=registered_at,
    )
    return member


ORDINARY_A = [
    ("鈴木 一郎", "スズキ イチロウ", 1975), ("高橋 美咲", "タカハシ ミサキ", 1988), ("田中 健太", "タナカ ケンタ", 1992),
    ("伊藤 さくら", "イトウ サクラ", 1980), ("渡辺 大輔", "ワタナベ ダイスケ", 1969), ("山本 陽子", "ヤマモト ヨウコ", 1995),
    ("中村 翔", "ナカムラ ショウ", 1983), ("小林 由美", "コバヤシ ユミ", 1977), ("加藤 誠", "カトウ マコト", 1990),
    ("𠮷田 美和", "ヨシダ ミワ", 1986),  # 𠮷 does not encode in cp932: the CSV export must report it
]
ORDINARY_B = [("松本 清", "マツモト キヨシ", 1945), ("井上 和子", "イノウエ カズコ", 1942), ("木村 茂", "キムラ シゲル", 1948)]
ORDINARY_C = [("林 直樹", "ハヤシ ナオキ", 1970), ("清水 恵", "シミズ メグミ", 1985)]


def _moved_to_b(world, base) -> None:
    """引継ぎ (issue 17): 中村 千代, protected at Ａ from her son (he holds her card), moves to Ｂ. Ａ offers the
    handover with her consent; Ｂ enrols her and the protection applies in that step (引継ぎによる仮設定), so Ｂ's
    staff see 引継ぎ確認待ち on her page until b_super confirms it (the 引継ぎ tile)."""
    a_clerk, b_clerk = world.staff["a_clerk"], world.staff["b_clerk"]
    her = _person(world, "moved", "SIM-CHIY-NAKA", "中村 千代", "ナカムラ チヨ", datetime.date(1949, 8, 21))
    son = _person(world, "moved_abuser", "SIM-OSAM-NAKA", "中村 修", "ナカムラ オサム", datetime.date(1975, 3, 2))
    _member(world, "moved_at_a", a_clerk, her, "A0000021", "記号12 番号1021", datetime.date(2024, 4, 1), base)
    case = open_protection_case(
        actor=a_clerk, member=world.members["moved_at_a"], victim_confirmed=True, fled_confirmed=True,
        requested_by_person=True, request_date=datetime.date(2026, 4, 10), case_card_or_proxy=True,
        case_inquiry_about_abuser=True, linked_persons=[son],
        notes="デモ: 同居の長男からの虐待。カードは長男の手元にある。", reason="本人の申出（虐待、別紙2 ケース①・②）",
    )
    today = timezone.localdate()
    update_case_checklist(actor=a_clerk, case=case, card_suspension_advised_on=today, proxy_cancel_advised_on=today)
    record_loss(actor=a_clerk, member=world.members["moved_at_a"], lost_on=today)
    offer_handover(actor=a_clerk, case=case, to_institution=world.institutions["B"], consent_on=today)
    _member(world, "moved_at_b", b_clerk, her, "B0000021", "番号5021", today, timezone.now())


def build_world() -> World:
    world = World()
    world.items = {item.code: item for item in InfoItem.objects.all()}
    base = timezone.make_aware(datetime.datetime(2026, 4, 1, 9, 0))

    _institution(
        world, "A", "Ａ健康保険組合", InstitutionKind.HEALTH_INSURANCE_SOCIETY, "06131239", True,
        [("A_gyomu", "業務部"), ("A_tekiyo", "適用課")],
    )
    _institution(
        world, "B", "Ｂ県後期高齢者医療広域連合", InstitutionKind.LATE_ELDERLY_UNION, "39130018", True,
        [("B_shikaku", "資格保険料課")],
    )
    _institution(
        world, "C", "Ｃ市国民健康保険", InstitutionKind.MUNICIPAL_NHI, "138016", True, [("C_kokuho", "国保年金課")]
    )
    _institution(
        world, "K", "全国健康保険協会 東京支部", InstitutionKind.KYOKAI_KENPO, "01130012", False,
        [("K_shikaku", "業務グループ")],
    )
    _institution(world, "KO", "甲市", InstitutionKind.MUNICIPALITY, departments=[("KO_zeimu", "税務課"), ("KO_shimin", "市民課")])
    _institution(world, "OTSU", "乙市", InstitutionKind.MUNICIPALITY, departments=[("OTSU_fukushi", "福祉課")])

    _staff(world, "a_clerk", "青木 担当", "A", "A_gyomu", Role.CLERK)
    _staff(world, "a_clerk2", "赤井 担当", "A", "A_gyomu", Role.CLERK)
    _staff(world, "a_super", "石田 責任者", "A", "A_gyomu", Role.SUPERVISOR)
    _staff(world, "a_super2", "上野 責任者", "A", "A_tekiyo", Role.SUPERVISOR)
    _staff(world, "a_audit", "大森 監査", "A", "A_gyomu", Role.AUDITOR)
    _staff(world, "b_clerk", "川口 担当", "B", "B_shikaku", Role.CLERK)
    _staff(world, "b_super", "菊池 責任者", "B", "B_shikaku", Role.SUPERVISOR)
    _staff(world, "b_audit", "久保 監査", "B", "B_shikaku", Role.AUDITOR)
    _staff(world, "c_clerk", "小松 担当", "C", "C_kokuho", Role.CLERK)
    Staff.objects.create_superuser(username=OPERATOR[0], password=OPERATOR[1], display_name="サーバー運用者")
    world.logins.append((OPERATOR[0], OPERATOR[1], "サーバー運用者（/ops-admin/ のみ）"))

    a_clerk, b_clerk, c_clerk = world.staff["a_clerk"], world.staff["b_clerk"], world.staff["c_clerk"]
    victim = _person(world, "victim", "SIM-HANA-KOSA", "佐藤 花子", "サトウ ハナコ", datetime.date(1990, 5, 12))
    _person(world, "abuser", "SIM-TARO-KOSA", "佐藤 太郎", "サトウ タロウ", datetime.date(1987, 2, 3))
    _member(world, "victim", a_clerk, victim, "A0000001", "記号12 番号3456", datetime.date(2026, 4, 1), base)
    # 同伴者: her daughter fled with her and joined Ａ健保 as her dependant (別紙2 §2 covers 虐待 victims too).
    child = _person(world, "child", "SIM-SAKU-KOSA", "佐藤 さくら", "サトウ サクラ", datetime.date(2016, 9, 1))
    _member(world, "child", a_clerk, child, "A0000020", "記号12 番号3457", datetime.date(2026, 4, 1), base)
    for n, (name, kana, year) in enumerate(ORDINARY_A, start=2):
        person = _person(world, f"a{n}", f"SIM-AAAA-{chr(64 + n)}{chr(64 + n)}AA", name, kana, datetime.date(year, 1 + n % 12, 10))
        _member(world, f"a{n}", a_clerk, person, f"A{n:07d}", f"記号12 番号{1000 + n}", datetime.date(2020, 4, 1), base)
    for n, (name, kana, year) in enumerate(ORDINARY_B, start=1):
        person = _person(world, f"b{n}", f"SIM-BBBB-{chr(64 + n)}{chr(64 + n)}BB", name, kana, datetime.date(year, n, 5))
        _member(world, f"b{n}", b_clerk, person, f"B{n:07d}", f"番号{5000 + n}", datetime.date(2011, 4, 1), base)
    for n, (name, kana, year) in enumerate(ORDINARY_C, start=1):
        person = _person(world, f"c{n}", f"SIM-CCCC-{chr(64 + n)}{chr(64 + n)}CC", name, kana, datetime.date(year, n, 20))
        _member(world, f"c{n}", c_clerk, person, f"C{n:07d}", f"国保 {7000 + n}", datetime.date(2015, 4, 1), base)

    # 別紙2 ケース①②: the victim fled to 乙市 and joined Ａ健保; the abuser stays in 甲市 and holds her card.
    open_protection_case(
        actor=a_clerk,
        member=world.members["victim"],
        victim_confirmed=True,
        fled_confirmed=True,
        requested_by_person=True,
        request_date=datetime.date(2026, 4, 3),
        case_card_or_proxy=True,
        case_inquiry_about_abuser=True,
        # The abuser is linked later (exchanges.demo), after the inquiry that shows the danger of not linking him.
        notes="デモ: カードは加害者の手元にあり、加害者が代理人に設定されている。",
        reason="本人の申出（別紙2 ケース①・②）",
    )
    # カード停止等手続 advised, not yet confirmed: her flags cannot be asked to clear until the dates are recorded.
    advised = timezone.localdate()
    update_case_checklist(actor=a_clerk, case=world.members["victim"].protection_cases.get(),
                          card_suspension_advised_on=advised, proxy_cancel_advised_on=advised)
    # Her daughter is named on the case: the same protections are set on her (the abuser is her 代理人 too).
    add_companion(actor=a_clerk, case=world.members["victim"].protection_cases.get(), member=world.members["child"],
                  relation="子", reason="母と共に避難（甲市から）。父（加害者）が子の代理人に設定されている。")
    # An item-level setting on an ordinary member, so the CSV and the queue show both scopes.
    set_setting(
        actor=a_clerk,
        member=world.members["a3"],
        kind=SettingKind.NO_AUTO_RESPONSE,
        item=world.items["medical_eligibility"],
        reason="資格喪失の副本登録が遅延しているため（別紙3 ③）",
    )

    _moved_to_b(world, base)

    for module_name in EXTENSIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.seed(world)
    return world
