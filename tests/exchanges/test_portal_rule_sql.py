"""The SQL condition the portal narrows by (shown_in_portal_q) is derived from flags.policy.shown_in_history and
selects exactly the records is_shown_in_portal shows: every state × 不開示コード on either side × 追記依頼."""

import itertools

from django.utils import timezone

from exchanges.models import ExchangeRecord, ExchangeState, nws_write
from exchanges.selectors import is_shown_in_portal, portal_history, shown_in_portal_q


def test_sql_and_policy_agree_on_every_combination(victim, city_otsu, procedures, items):
    now = timezone.now()
    # Test data only: every combination, including ones no service path produces, written past the choke point.
    with nws_write():
        for n, (state, inquiry_code, provision_code, appended) in enumerate(
            itertools.product(ExchangeState.values, (False, True), (False, True), (False, True))
        ):
            ExchangeRecord.objects.create(
                inquirer=city_otsu, provider=victim.insurer, procedure=procedures["welfare"],
                item=items["medical_eligibility"], subject=victim.person, inquirer_display="乙市",
                provider_display="社会保険診療報酬支払基金", state=state,
                inquired_at=now - timezone.timedelta(minutes=n), inquiry_code=inquiry_code,
                provision_code=provision_code, appended_nondisclosure_at=now if appended else None,
            )
    everything = list(ExchangeRecord.objects.filter(subject=victim.person))
    assert len(everything) == 32
    by_policy = {r.pk for r in everything if is_shown_in_portal(r)}
    by_sql = set(ExchangeRecord.objects.filter(subject=victim.person).filter(shown_in_portal_q())
                 .values_list("pk", flat=True))
    assert by_sql == by_policy
    assert len(by_policy) == 1  # complete, no code on either side, no 追記依頼 (rule 3)
    assert {r.pk for r in portal_history(person=victim.person)} == by_policy
