"""Fixtures for the exchange scenarios: the seed's people (tests/conftest.py) plus helpers to flag, send and check.

甲市 is where the abuser lives (避難元), 乙市 where the victim fled (避難先). Both answer from simulated data.
"""

import pytest

from exchanges.services import InquiryRequest, register_peer_replica, send_inquiry
from flags.policy import SettingKind
from flags.services import set_setting
from institutions.models import Department


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Staff fixtures hash a password each; the exchange tests do not test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city_data(city_ko, city_otsu, victim, abuser, items):
    """What the municipalities answer from: 甲市 keeps the taxes of both (they lived there), 乙市 her new residence."""
    register_peer_replica(
        institution=city_ko, person=victim.person, item=items["local_tax"], content={"課税年度": "2025", "所得": "2100000"}
    )
    register_peer_replica(
        institution=city_ko, person=abuser, item=items["local_tax"], content={"課税年度": "2025", "所得": "5400000"}
    )
    register_peer_replica(
        institution=city_otsu, person=victim.person, item=items["resident_record"], content={"住所": "乙市 避難先町1-2-3"}
    )
    return {"ko": city_ko, "otsu": city_otsu}


@pytest.fixture
def flag(alice):
    """Set one of insurer A's flags on a member (whole member unless an item is given), as alice."""

    def _flag(member, kind=SettingKind.NON_DISCLOSURE, item=None):
        return set_setting(actor=alice, member=member, kind=kind, item=item, reason="本人の申出（テスト）")

    return _flag


@pytest.fixture
def ask(alice, procedures, items):
    """alice (Ａ健康保険組合 業務部) sends a 情報照会 through the choke point."""

    def _ask(provider, *, member=None, sim_id=None, item="local_tax", procedure="kenpo_benefit", code=False, actor=None):
        return send_inquiry(
            actor=actor or alice,
            request=InquiryRequest(
                procedure=procedures[procedure], item=items[item], provider=provider, member=member, sim_id=sim_id,
                nondisclosure_code=code,
            ),
        )

    return _ask


def department(institution, name) -> Department:
    return Department.objects.get(institution=institution, name=name)
