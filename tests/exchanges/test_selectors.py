"""Staff-side selectors: scoping to the own insurer, and the keyset-paginated history page."""

from exchanges.selectors import abuser_cases_naming, history_page_for, records_for
from flags.services import open_protection_case


def test_history_page_merges_both_sides_newest_first_and_pages_without_gaps(
    victim, city_data, city_ko, city_otsu, ask, alice, bob, procedures, items
):
    from exchanges.services import receive_inquiry

    made = []
    for n in range(7):
        if n % 2:
            made.append(ask(city_ko, member=victim))
        else:
            made.append(receive_inquiry(
                inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                procedure=procedures["welfare"], item=items["medical_eligibility"],
            ))
    expected = sorted(made, key=lambda r: (r.inquired_at, r.id), reverse=True)
    first = history_page_for(alice, limit=3)
    second = history_page_for(alice, limit=3, before=(first[-1].inquired_at, first[-1].id))
    third = history_page_for(alice, limit=3, before=(second[-1].inquired_at, second[-1].id))
    assert first + second + third == expected
    assert history_page_for(bob) == [] and list(records_for(bob)) == []
    assert set(records_for(alice)) == set(made)


def test_abuser_named_on_an_open_case_is_recognised_for_a_warning(victim, abuser, alice, bob):
    assert not abuser_cases_naming(alice, abuser).exists()
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_inquiry_about_abuser=True, abuser=abuser,
    )
    assert list(abuser_cases_naming(alice, abuser)) == [case]
    assert not abuser_cases_naming(bob, abuser).exists()  # another insurer learns nothing
    assert not abuser_cases_naming(alice, victim.person).exists()
