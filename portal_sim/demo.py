"""Demo cards: every demo person gets a card with a fixed identifier and PIN (printed by seed_demo).

別紙2 ケース①: the abuser holds the victim's card and is her 代理人. One card is suspended, to show the refusal.
"""

from portal_sim import services

# Fixed PINs, so the printed notes and a walkthrough stay the same on every run.
FIXED_PINS = {"victim": "1111", "abuser": "2222", "child": "3333"}
SUSPENDED = "c2"  # 清水 恵: her card is suspended (カード停止)


def _card_number(sim_id: str) -> str:
    # SIM-HANA-KOSA -> CARD-HANA-KOSA: readable, deterministic, unique because sim_id is.
    return "CARD-" + sim_id.removeprefix("SIM-")


def _pin(key: str, n: int) -> str:
    return FIXED_PINS.get(key) or f"{(n * 1237 + 4000) % 10_000:04d}"


def seed(world) -> None:
    lines = ["", "マイナポータル（/portal/login/）のカード（カード識別子 / 暗証番号 / 個人）:"]
    for n, (key, person) in enumerate(world.persons.items()):
        pin = _pin(key, n)
        card = services.issue_card(person=person, pin=pin, card_number=_card_number(person.sim_id))
        state = ""
        if key == SUSPENDED:
            services.suspend_card(card=card, reason="デモ: 停止済みのカード")
            state = "（停止中: ログインできません）"
        role = {"victim": "（被害者・設定対象者）", "abuser": "（加害者・被害者と子の代理人）",
                "child": "（被害者の子・同伴者）"}.get(key, "")
        lines.append(f"  {card.card_number:<16} {pin}  {person.name}{role}{state}")
    # ケース①: the victim named the abuser as her proxy before she fled.
    services.name_proxy(principal=world.persons["victim"], agent=world.persons["abuser"])
    if "child" in world.persons:  # 同伴者: he is their daughter's 代理人 as well
        services.name_proxy(principal=world.persons["child"], agent=world.persons["abuser"])
    lines.append(
        f"  {world.persons['abuser'].name} は {world.persons['victim'].name} と子の代理人です"
        "（代理人ページで切り替えると、本人と同じ画面が見えます。子は同伴者として保護されています）。"
    )
    world.notes.extend(lines)
