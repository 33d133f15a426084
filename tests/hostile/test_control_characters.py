"""Hostile input (issue 9 point 7): control characters refused at each boundary — every string of an API body or URL
(api/parsers.py), every text field of a console or portal form (nakama.text.RefuseControlCharactersMixin) — with a
400 JSON body or a Japanese form error, never a 500 and never half-written. Property-based with hypothesis."""

import json

import pytest
from django import forms
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console import forms as console_forms
from members.models import Replica
from nakama.text import first_forbidden
from portal_sim import forms as portal_forms
from tests.api.conftest import assert_error

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

FUZZ_FORMS = settings(FUZZ, max_examples=400)  # no database writes: cheap

# Characters that must be refused: C0 (tab and line breaks too, outside a text area), DEL, C1, lone surrogates,
# bidi overrides and isolates, line/paragraph separators.
forbidden_chars = st.one_of(
    st.characters(codec=None, categories=["Cc"]),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\u202e", "\u2066", "\u200f", "\u2028", "\u2029", "\x00", "\x7f", "\x85", "\x1b"]),
)
hostile_text = st.builds(lambda a, c, b: a + c + b, st.text(max_size=12), forbidden_chars, st.text(max_size=12))
any_text = st.text(max_size=40)  # every Unicode character, surrogates excepted by default


def post_json(client, path, body, **extra):
    """The body as a client would send it: JSON with \\u escapes, so NUL and lone surrogates arrive intact."""
    return client.post(path, data=json.dumps(body, ensure_ascii=True), content_type="application/json", **extra)


def test_nul_in_replica_content_is_400_not_500(api_alice, victim, items):
    """Today: PostgreSQL refuses \\u0000 in JSON and the API answers 500."""
    before = Replica.objects.count()
    response = post_json(api_alice, f"/api/v1/members/{victim.branch_number}/replicas/",
                         {"item": "medical_eligibility", "content": {"保険者名称": "Ａ健康保険組合\u0000"}})
    body = assert_error(response, 400, "control_characters")
    assert body["fields"] == {"content.保険者名称": ["入力できない制御文字（U+0000）が含まれています。"]}
    assert Replica.objects.count() == before


def test_control_character_in_a_key_or_a_list_is_named_by_its_path(api_alice, victim, city_ko, items):
    response = post_json(api_alice, "/api/v1/inquiries/batch/",
                         {"inquiries": [{"procedure": "kenpo_benefit", "member": "A\x1b[31m"}]})
    assert assert_error(response, 400, "control_characters")["fields"] == {
        "inquiries.0.member": ["入力できない制御文字（U+001B）が含まれています。"]}
    response = post_json(api_alice, "/api/v1/members/A0000001/replicas/",
                         {"item": "local_tax", "content": {"氏名\u202e": "x"}})
    assert "content.氏名\\u202e" in assert_error(response, 400, "control_characters")["fields"]


def test_tab_and_line_breaks_are_allowed_in_a_reason(api_alice, victim, items):
    response = post_json(api_alice, "/api/v1/settings/set/",
                         {"member": victim.branch_number, "kind": "non_disclosure", "reason": "DV被害の申出\r\n\t別紙2"})
    assert response.status_code == 201, response.content


def test_control_character_in_a_query_string_is_400(api_alice, victim):
    assert_error(api_alice.get("/api/v1/members/", {"kana": "サト\x00"}), 400, "control_characters")
    assert_error(api_alice.get("/api/v1/members/", {"kana": "サト\t"}), 400, "control_characters")


def test_form_encoded_bodies_are_checked_too(api_alice, victim):
    response = api_alice.post("/api/v1/settings/set/", {"member": victim.branch_number, "kind": "non_disclosure",
                                                        "reason": "理由\x07"})  # multipart, the test client's default
    assert_error(response, 400, "control_characters")


@pytest.fixture
def api_world(victim, abuser, city_ko, items):
    return {"branch": victim.branch_number, "abuser": abuser.sim_id, "city": city_ko.pk}


def _api_bodies(w, text):
    """The main writes of an insurer's system, with `text` in one string field each."""
    return [
        (f"/api/v1/members/{w['branch']}/replicas/", {"item": "medical_eligibility", "content": {"保険者名称": text}}),
        ("/api/v1/settings/set/", {"member": w["branch"], "kind": "no_self_info", "reason": text}),
        ("/api/v1/inquiries/", {"procedure": "kenpo_benefit", "item": "local_tax", "provider": w["city"],
                                "sim_id": text}),
        ("/api/v1/members/enrol/", {"sim_id": w["abuser"], "branch_number": text, "acquired_on": "2026-04-01"}),
        ("/api/v1/replicas/bulk/", {"rows": [{"branch_number": w["branch"], "item": "medical_eligibility",
                                              "content": {text: "値"}}]}),
    ]


def test_property_any_hostile_string_in_an_api_body_is_400_and_writes_nothing(api_alice, api_world):
    from audit.models import AuditEntry

    @FUZZ
    @given(text=hostile_text)
    def check(text):
        before = AuditEntry.objects.count()
        for path, body in _api_bodies(api_world, text):
            assert_error(post_json(api_alice, path, body), 400, "control_characters")
        assert AuditEntry.objects.count() == before

    check()


def test_property_any_string_in_an_api_body_never_gives_a_server_error(api_alice, api_world):
    @FUZZ
    @given(text=any_text)
    def check(text):
        for path, body in _api_bodies(api_world, text):
            response = post_json(api_alice, path, body)
            assert response.status_code < 500, (path, text, response.content[:300])
            if first_forbidden(text, multiline=True) is not None:
                assert response.json()["code"] == "control_characters"

    check()


# Console and portal forms: every text field of each main form.

def _forms(alice):
    return {
        "MemberSearchForm": lambda data: console_forms.MemberSearchForm(data),
        "SettingForm": lambda data: console_forms.SettingForm(data),
        "ClearingRequestForm": lambda data: console_forms.ClearingRequestForm(data),
        "ClearingDecisionForm": lambda data: console_forms.ClearingDecisionForm(data),
        "ProtectionCaseForm": lambda data: console_forms.ProtectionCaseForm(data),
        "InquiryForm": lambda data: console_forms.InquiryForm(data, user=alice),
        "ManualDeclineForm": lambda data: console_forms.ManualDeclineForm(data),
        "ManualResponseForm": lambda data: console_forms.manual_response_form({"保険者名称": "Ａ", "資格取得日": "2026-04-01"},
                                                                              item_code="medical_eligibility",
                                                                              data=data),
        "ManualResponseFormWithoutReplica": lambda data: console_forms.manual_response_form(
            None, item_code="medical_eligibility", data=data),
        # lifecycle's and insider's console forms
        "ChecklistForm": lambda data: console_forms.ChecklistForm(data),
        "ReviewDateForm": lambda data: console_forms.ReviewDateForm(data),
        "CaseClosureForm": lambda data: console_forms.CaseClosureForm(data),
        "RoleChangeForm": lambda data: console_forms.RoleChangeForm(data),
        "DeactivateForm": lambda data: console_forms.DeactivateForm(data),
        "AppendRequestForm": lambda data: console_forms.AppendRequestForm(data),
        "ExchangeFilterForm": lambda data: console_forms.ExchangeFilterForm(data),
        "AuditFilterForm": lambda data: console_forms.AuditFilterForm(data, actions=[("inquiry.sent", "送信")]),
        "StaffCreateForm": lambda data: console_forms.StaffCreateForm(data, user=alice),
        "SignInForm": lambda data: portal_forms.SignInForm(data),
        "NameProxyForm": lambda data: portal_forms.NameProxyForm(data),
    }


def test_property_every_text_field_of_every_main_form_refuses_control_characters(alice):
    makers = _forms(alice)

    @FUZZ_FORMS
    @given(text=st.one_of(hostile_text, any_text), data=st.data())
    def check(text, data):
        name = data.draw(st.sampled_from(sorted(makers)))
        form = makers[name]({})
        text_fields = [f for f, field in form.fields.items() if isinstance(field, forms.CharField)]
        assert text_fields, name
        field_name = data.draw(st.sampled_from(text_fields))
        field = form.fields[field_name]
        form = makers[name]({field_name: text})
        form.is_valid()  # never raises
        value = field.to_python(text)
        multiline = isinstance(field.widget, forms.Textarea)
        expected = value not in field.empty_values and first_forbidden(value, multiline=multiline) is not None
        codes = [e.code for e in form.errors.as_data().get(field_name, [])]
        assert ("control_characters" in codes) == expected, (name, field_name, repr(text), codes)

    check()


def test_console_setting_reason_with_nul_is_a_japanese_form_error(alice, victim):
    client = Client()
    client.force_login(alice)
    response = client.post(f"/members/{victim.pk}/", {"kind": "non_disclosure", "reason": "DV\x00"})
    assert response.status_code == 400
    assert "入力できない制御文字（U+0000）が含まれています。" in response.content.decode()
    assert not victim.settings.exists()


def test_portal_sign_in_with_a_control_character_is_a_japanese_form_error(db):
    response = Client().post("/portal/login/", {"card_number": "CARD-\x1bHANA", "pin": "1111"})
    assert "入力できない制御文字（U+001B）が含まれています。" in response.content.decode()
