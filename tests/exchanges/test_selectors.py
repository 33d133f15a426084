"""Staff-side selectors: scoping to the own insurer, and the keyset-paginated history page."""

from exchanges.selectors import history_page_for, records_for
from flags.selectors import cases_linking
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


def test_abuser_linked_on_an_open_case_is_recognised_only_by_that_insurer(victim, abuser, alice, bob):
    assert not cases_linking(alice, abuser.pk).exists()
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_inquiry_about_abuser=True, linked_persons=[abuser],
    )
    assert list(cases_linking(alice, abuser.pk)) == [case]
    assert not cases_linking(bob, abuser.pk).exists()  # another insurer learns nothing
    assert not cases_linking(alice, victim.person.pk).exists()
