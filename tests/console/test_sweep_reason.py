"""The sweep's reason starts from the case's own (issue 19 ⑥: it started empty although the case has one)."""

from django.urls import reverse

from exchanges.services import InquiryRequest, send_inquiry
from flags.services import open_protection_case


def test_the_sweep_reason_starts_from_the_case(scene, alice, city_ko, procedures, items, as_user):
    member = scene.ordinary  # asked about before she was known to be a protected person: the record is still shown
    send_inquiry(actor=alice, request=InquiryRequest(procedure=procedures["kenpo_benefit"], item=items["local_tax"],
                                                     provider=city_ko, member=member))
    case = open_protection_case(actor=alice, member=member, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出（窓口）")
    body = as_user(alice).get(reverse("console:case_exposure", args=[case.pk])).content.decode()
    expected = "設定対象者の保護のため（登録時の理由: 本人の申出（窓口））"
    assert f'<textarea name="reason" id="id_reason" rows="2" cols="60">{expected}</textarea>' in body
