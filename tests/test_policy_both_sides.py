"""別紙1 ※2 and 要注意照会対象, exhaustively: every combination of the inquirer's and the provider's three settings
(each absent, whole member, the requested item, another item), on both servers, with and without a link, with every
code already on the inquiry and with or without staff asking for the provision code. The expected values come from
the seed's words below, not from flags.policy.

※2: 「不開示該当フラグと不開示コードは、どちらか一方が設定された状態で情報提供が完了すると、マイナポータル上で
情報提供等記録（やりとり履歴）を閲覧できなくなる。」
"""

import itertools

import pytest

from flags import policy
from flags.policy import CodeSource, SettingKind
from tests.test_policy_table import COMBOS, KINDS, _effective, _settings

ITEM = "medical_eligibility"
SERVERS = [policy.SERVER_INSURERS, policy.SERVER_MUNICIPAL]
PRIOR = [CodeSource.NONE, CodeSource.AUTO, CodeSource.MANUAL, CodeSource.LINKED]


def _non_disclosure(combo) -> bool:
    return SettingKind.NON_DISCLOSURE in _effective(combo)


def test_every_combination_is_covered():
    assert len(COMBOS) ** 2 * len(SERVERS) * 2 * len(PRIOR) * 2 == 131072 and len(KINDS) == 3


@pytest.mark.parametrize("requested", [False, True], ids=["no_request", "staff_request"])
@pytest.mark.parametrize("prior", PRIOR, ids=lambda p: p.value or "none")
@pytest.mark.parametrize("linked", [False, True], ids=["not_linked", "linked"])
@pytest.mark.parametrize("server", SERVERS)
def test_codes_at_completion_read_both_sides(server, linked, prior, requested):
    for inquirer_combo, provider_combo in itertools.product(COMBOS, COMBOS):
        codes = policy.codes_at_completion(
            inquirer_settings=_settings(inquirer_combo),
            provider_settings=_settings(provider_combo),
            item_code=ITEM,
            inquirer_server=server,
            linked_for_inquirer=linked,
            inquiry_code=prior,
            provision_requested=requested,
        )
        # Inquiry side: a code already there stays; else the inquirer's 不開示該当 now (its server codes inquiries:
        # the insurers' one does, the 自治体中間サーバー does not, 別添 ① 2/4); else the link.
        if prior != CodeSource.NONE:
            expected_inquiry = prior
        elif server == policy.SERVER_INSURERS and _non_disclosure(inquirer_combo):
            expected_inquiry = CodeSource.AT_COMPLETION
        elif linked:
            expected_inquiry = CodeSource.LINKED
        else:
            expected_inquiry = CodeSource.NONE
        # Provision side: the provider's 不開示該当 now forces it; otherwise staff may attach it (別紙1 ③).
        if _non_disclosure(provider_combo):
            expected_provision = CodeSource.AUTO
        else:
            expected_provision = CodeSource.MANUAL if requested else CodeSource.NONE
        assert (codes.inquiry, codes.provision) == (expected_inquiry, expected_provision), (
            inquirer_combo, provider_combo)
        # ※2: either side's flag in force at completion (on the insurers' server) hides the record.
        shown = policy.shown_in_history(
            complete=True, inquiry_code=codes.inquiry != CodeSource.NONE,
            provision_code=codes.provision != CodeSource.NONE, appended=False,
        )
        either_flag = _non_disclosure(provider_combo) or (
            server == policy.SERVER_INSURERS and _non_disclosure(inquirer_combo)
        )
        if either_flag or linked or prior != CodeSource.NONE or requested:
            assert not shown
        else:
            assert shown


@pytest.mark.parametrize("requested", [False, True], ids=["no_request", "staff_request"])
@pytest.mark.parametrize("linked", [False, True], ids=["not_linked", "linked"])
@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: ",".join(c))
def test_inquiry_code_at_send(combo, server, linked, requested):
    """Renewal ① first (the flag), then 要注意照会対象 (the link: whatever the caller asked), then a hand-set code."""
    code = policy.inquiry_code_at_send(_settings(combo), ITEM, server=server, linked=linked, requested=requested)
    if server == policy.SERVER_INSURERS and _non_disclosure(combo):
        assert code == CodeSource.AUTO
    elif linked:
        assert code == CodeSource.LINKED  # a request of "no code" cannot take it away
    else:
        assert code == (CodeSource.MANUAL if requested else CodeSource.NONE)


def test_a_linked_person_is_never_sent_without_a_code():
    for combo, server, requested in itertools.product(COMBOS, SERVERS, [False, True]):
        code = policy.inquiry_code_at_send(_settings(combo), ITEM, server=server, linked=True, requested=requested)
        assert code != CodeSource.NONE
