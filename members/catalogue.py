"""The 特定個人情報 and 事務 catalogues every database starts with (data migration and seed_demo --reset)."""

ITEMS = [
    ("medical_eligibility", "医療保険資格関係情報", "健康保険"),
    ("medical_benefit", "医療保険給付関係情報", "健康保険"),
    ("local_tax", "地方税関係情報", "税・所得"),
    ("resident_record", "住民票関係情報", "住民票"),
]

# The fields of each item's 副本, by their own labels (the keys of Replica.content): the 情報提供内容入力画面 offers
# these when no 副本 exists, and the audit trail names 副本 fields by them.
ITEM_FIELDS = {
    "medical_eligibility": ("保険者名称", "保険者番号", "記号・番号", "資格取得日", "資格喪失日"),
    "medical_benefit": ("給付の種類", "支給決定日", "支給額"),
    "local_tax": ("課税年度", "所得"),
    "resident_record": ("住所",),
}

PROCEDURES = [
    ("kenpo_benefit", "健康保険法による保険給付の支給に関する事務", ["local_tax", "resident_record", "medical_eligibility"]),
    ("kokuho_benefit", "国民健康保険法による保険給付の支給に関する事務", ["local_tax", "resident_record", "medical_eligibility"]),
    ("koki_premium", "高齢者の医療の確保に関する法律による保険料の賦課に関する事務", ["local_tax", "resident_record"]),
    ("eligibility_check", "医療保険各法による資格の確認に関する事務", ["medical_eligibility"]),
    ("welfare", "生活保護法による保護の決定及び実施に関する事務", ["medical_eligibility", "medical_benefit"]),
    ("local_tax_levy", "地方税法による地方税の賦課徴収に関する事務", ["medical_eligibility", "medical_benefit"]),
]



def ensure_catalogue(InfoItem, Procedure) -> None:
    items = {}
    for code, name, group in ITEMS:
        items[code], _ = InfoItem.objects.get_or_create(code=code, defaults={"name": name, "portal_group": group})
    for code, name, item_codes in PROCEDURES:
        procedure, _ = Procedure.objects.get_or_create(code=code, defaults={"name": name})
        procedure.items.set([items[c] for c in item_codes])
