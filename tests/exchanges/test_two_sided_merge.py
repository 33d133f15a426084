"""Staff history's two sides: merged by the database (UNION ALL, PostgreSQL) or, where a UNION cannot limit its
branches (SQLite, the demo), read apart and merged here — the same page either way, newest first."""

from django.db import connection

from exchanges.models import ExchangeRecord
from exchanges.selectors import two_sided_page
from exchanges.services import InquiryRequest, receive_inquiry, send_inquiry


def test_both_merges_give_the_same_pages(alice, victim, city_ko, city_otsu, procedures, items, monkeypatch):
    for _ in range(4):
        send_inquiry(actor=alice, request=InquiryRequest(
            procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
        receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                        procedure=procedures["welfare"], item=items["medical_eligibility"])

    def walk():
        pages, before = [], None
        while True:
            rows, more = two_sided_page(ExchangeRecord.objects.all(), institution_id=alice.institution_id, limit=3,
                                        before=before)
            pages.append([r.pk for r in rows])
            if not more:
                return pages
            before = (rows[-1].inquired_at, rows[-1].pk)

    as_configured = walk()
    # Read apart and merged here, as on SQLite (on PostgreSQL the first walk was the database's UNION ALL).
    monkeypatch.setattr(connection.features, "supports_slicing_ordering_in_compound", False)
    assert walk() == as_configured
    everything = sorted(ExchangeRecord.objects.all(), key=lambda r: (r.inquired_at, r.pk), reverse=True)
    assert [pk for page in as_configured for pk in page] == [r.pk for r in everything]
    assert [len(page) for page in as_configured] == [3, 3, 2]
