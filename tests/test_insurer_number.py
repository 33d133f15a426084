import pytest
from django.core.exceptions import ValidationError

from institutions.insurer_number import check_digit
from institutions.models import Institution, InstitutionKind

pytestmark = pytest.mark.django_db


def test_check_digit_example_from_the_spec():
    # 3312001 → 6+3+2+2+0+0+2 = 15 → 33120015
    assert check_digit("3312001") == 5


@pytest.mark.parametrize(
    "kind,number",
    [
        (InstitutionKind.HEALTH_INSURANCE_SOCIETY, "33120015"),
        (InstitutionKind.KYOKAI_KENPO, "01130012"),
        (InstitutionKind.MUTUAL_AID, "33120015"),
        (InstitutionKind.LATE_ELDERLY_UNION, "39130018"),
        (InstitutionKind.MUNICIPAL_NHI, "138016"),
        (InstitutionKind.NHI_SOCIETY, "138016"),
    ],
)
def test_valid_numbers_pass(kind, number):
    Institution(name="x", kind=kind, insurer_number=number).full_clean()


@pytest.mark.parametrize(
    "kind,number,message",
    [
        (InstitutionKind.HEALTH_INSURANCE_SOCIETY, "3312001", "桁数"),
        (InstitutionKind.HEALTH_INSURANCE_SOCIETY, "33120016", "検証番号"),
        (InstitutionKind.MUNICIPAL_NHI, "33120015", "桁数"),
        (InstitutionKind.MUNICIPAL_NHI, "138017", "検証番号"),
        (InstitutionKind.LATE_ELDERLY_UNION, "3913001８", "半角数字"),
        (InstitutionKind.KYOKAI_KENPO, "", "入力"),
    ],
)
def test_bad_numbers_are_refused_in_japanese(kind, number, message):
    with pytest.raises(ValidationError) as exc:
        Institution(name="x", kind=kind, insurer_number=number).full_clean()
    assert message in " ".join(exc.value.message_dict["insurer_number"])


def test_municipality_has_no_insurer_number():
    with pytest.raises(ValidationError):
        Institution(name="甲市", kind=InstitutionKind.MUNICIPALITY, insurer_number="138016").full_clean()
    Institution(name="甲市", kind=InstitutionKind.MUNICIPALITY).full_clean()
