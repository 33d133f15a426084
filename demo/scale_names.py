"""Synthetic persons for the scale data (demo.scale): 個人識別子, names with a realistic long tail, birth dates.

Pure functions of an index and a seed, so the person and the member rows agree without keeping a million names in
memory.
"""

import bisect
import datetime

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


def sim_id(index: int) -> str:
    """A unique, deterministic, not sequential-looking SIM-XXXX-XXXX for person `index` (a bijection mod 24^8)."""
    n = (index * 2_654_435_761 + 97_531) % (24**8)
    letters = []
    for _ in range(8):
        n, r = divmod(n, 24)
        letters.append(_SIM_ALPHABET[r])
    return f"SIM-{''.join(letters[:4])}-{''.join(letters[4:])}"


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


def person_of(index: int, seed: int, names: str = "zipf") -> tuple[str, str, datetime.date]:
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
