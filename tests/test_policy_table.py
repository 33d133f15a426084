"""The 別紙1 table, exhaustively: every combination of the three member settings, each absent or set for the whole
member (被保険者枝番単位), for the requested item (特定個人情報単位) or for another item, against every column of
the table, on both servers. The expected values come from the table's cells below, not from flags.policy."""

import itertools

import pytest

from flags import policy
from flags.policy import ActiveSetting, CodeSource, SettingKind

ITEM = "medical_eligibility"
OTHER_ITEM = "local_tax"
SCOPES = ("none", "whole", "same_item", "other_item")

# 別紙1, one row per setting: ○ answered automatically, △ not answered automatically, × not shown, ― no effect.
BESSHI1 = {
    SettingKind.NON_DISCLOSURE: {"answer": "○", "self_info": "―", "history": "×", "code_on_provision": True,
                                 "code_on_inquiry": True},
    SettingKind.NO_SELF_INFO: {"answer": "○", "self_info": "×", "history": "―", "code_on_provision": False,
                               "code_on_inquiry": False},
    SettingKind.NO_AUTO_RESPONSE: {"answer": "△", "self_info": "―", "history": "△", "code_on_provision": False,
                                   "code_on_inquiry": False},
}
KINDS = list(BESSHI1)


def _settings(combo):
    result = []
    for kind, scope in zip(KINDS, combo, strict=True):
        if scope == "whole":
            result.append(ActiveSetting(kind=kind, item_code=None))
        elif scope == "same_item":
            result.append(ActiveSetting(kind=kind, item_code=ITEM))
        elif scope == "other_item":
            result.append(ActiveSetting(kind=kind, item_code=OTHER_ITEM))
    return result


def _effective(combo):
    """Settings that cover the requested item: whole member or the same item; another item's setting has no effect."""
    return {kind for kind, scope in zip(KINDS, combo, strict=True) if scope in ("whole", "same_item")}


COMBOS = list(itertools.product(SCOPES, repeat=3))


def _id(combo):
    return ",".join(f"{policy.SETTING_LABELS[k]}={s}" for k, s in zip(KINDS, combo, strict=True))


def test_table_covers_every_combination():
    assert len(COMBOS) == 64


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_answer_to_an_inquiry_from_another_institution(combo):
    """別紙1 column 「情報照会者に対する情報提供」: ○ or △."""
    effective = _effective(combo)
    expected_auto = all(BESSHI1[k]["answer"] == "○" for k in effective)
    assert policy.answers_automatically(_settings(combo), ITEM) is expected_auto


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_provision_gets_code_automatically(combo):
    """別紙1 ① 概要: 不開示と設定した場合、情報提供…を行う際に「不開示コード」が設定される."""
    expected = any(BESSHI1[k]["code_on_provision"] for k in _effective(combo))
    assert policy.provision_gets_code(_settings(combo), ITEM) is expected


@pytest.mark.parametrize("server", [policy.SERVER_INSURERS, policy.SERVER_MUNICIPAL])
@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_inquiry_gets_code_automatically(combo, server):
    """Renewal ① on the insurers' server; the 自治体中間サーバー never codes its own inquiries (別添 ① 2/4)."""
    expected = server == policy.SERVER_INSURERS and any(BESSHI1[k]["code_on_inquiry"] for k in _effective(combo))
    assert policy.inquiry_gets_code(_settings(combo), ITEM, server=server) is expected


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_self_info_in_mynaportal(combo):
    """別紙1 column 「自己情報表示（あなたの情報）」 and ※3: × shows 「回答なし」."""
    expected_shown = all(BESSHI1[k]["self_info"] != "×" for k in _effective(combo))
    assert policy.self_info_allowed(_settings(combo), ITEM) is expected_shown


@pytest.mark.parametrize("staff_attaches_code", [False, True])
@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_history_after_the_exchange_completes(combo, staff_attaches_code):
    """別紙1 column 「情報提供等記録（やりとり履歴）」 with ※1 and ※2, played through the policy:
    answered automatically or, under △, after a manual response where staff may attach 不開示コード."""
    settings = _settings(combo)
    effective = _effective(combo)
    # Before the answer: an exchange waiting under △ is not complete (※1), so it is not shown.
    if not policy.answers_automatically(settings, ITEM):
        assert not policy.shown_in_history(complete=False, inquiry_code=False, provision_code=False, appended=False)
        code = policy.approval_code(settings, ITEM, requested=staff_attaches_code)
    else:
        code = CodeSource.AUTO if policy.provision_gets_code(settings, ITEM) else CodeSource.NONE
    shown = policy.shown_in_history(
        complete=True, inquiry_code=False, provision_code=code != CodeSource.NONE, appended=False
    )
    hidden_by_flag = any(BESSHI1[k]["history"] == "×" for k in effective)
    manual = any(BESSHI1[k]["answer"] == "△" for k in effective)
    # △: once answered, shown unless a 不開示コード was attached (then "equal to ①").
    expected = not hidden_by_flag and not (manual and staff_attaches_code)
    assert shown is expected


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_code_at_manual_approval_cannot_be_dropped_under_non_disclosure(combo):
    """別紙1 ※2: a flag set while an inquiry waited still codes the answer; staff cannot remove it."""
    settings = _settings(combo)
    forced = SettingKind.NON_DISCLOSURE in _effective(combo)
    assert (policy.approval_code(settings, ITEM, requested=False) == CodeSource.AUTO) is forced
    assert policy.approval_code(settings, ITEM, requested=True) == (CodeSource.AUTO if forced else CodeSource.MANUAL)


@pytest.mark.parametrize(
    "complete,inquiry_code,provision_code,appended",
    list(itertools.product([False, True], repeat=4)),
)
def test_rule_3_shown_only_when_complete_and_uncoded_and_not_appended(complete, inquiry_code, provision_code, appended):
    """Rule 3: 別紙1 ※1 (complete), ※2 and ④ (either side's 不開示コード), 追記依頼 (別紙2 §4)."""
    expected = complete and not inquiry_code and not provision_code and not appended
    assert policy.shown_in_history(
        complete=complete, inquiry_code=inquiry_code, provision_code=provision_code, appended=appended
    ) is expected


def test_a_setting_on_another_item_has_no_effect():
    settings = [ActiveSetting(kind=k, item_code=OTHER_ITEM) for k in KINDS]
    assert policy.answers_automatically(settings, ITEM)
    assert not policy.provision_gets_code(settings, ITEM)
    assert policy.self_info_allowed(settings, ITEM)
    assert not policy.inquiry_gets_code(settings, ITEM, server=policy.SERVER_INSURERS)
