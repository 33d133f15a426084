"""The OpenAPI schema, and Schemathesis run against it in process (the WSGI application, this test's database).

Every operation of /api/v1/ is called as each role (担当者, 責任者, 監査者) with generated requests — path ids both
random and pointing at real objects of insurer A — and every operation of /api/sim/ without a token, with the
simulated world on. Each response must not be a 5xx and must match what the schema declares (status code, content
type, headers, body). The number of examples is bounded so the whole run stays short.
"""

import re
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exchanges.services import InquiryRequest, file_append_request, receive_inquiry, send_inquiry
from flags.case_lifecycle import request_case_closure
from flags.policy import SettingKind
from flags.services import open_protection_case, request_clearing, set_setting
from nakama.wsgi import application
from portal_sim.services import issue_card
from tests import factories as f
from tests.api.conftest import client_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
POSITIVE_EXAMPLES = 5
NEGATIVE_EXAMPLES = 2


def test_schema_validates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_operation_declares_2xx_and_4xx_with_the_error_body(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 40
    for path, method, op in operations:
        codes = set(op["responses"])
        assert any(c.startswith("2") for c in codes), (path, method)
        four = [c for c in codes if c.startswith("4")]
        assert four, (path, method)
        for code in four:
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error"), (path, method, code, ref)


def _world(alice, victim, abuser, city_ko, items, procedures):
    """Real objects of insurer A, so generated requests also reach the success paths."""
    nd = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="DV")
    nar = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="自動応答を望まない")
    clearing = request_clearing(actor=alice, setting=nar, reason="本人の希望")
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    exchange = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    manual = receive_inquiry(inquirer=city_ko, department=None, provider=alice.institution, subject=victim.person,
                             procedure=procedures["welfare"], item=items["medical_eligibility"])
    append = file_append_request(actor=alice, record=exchange, reason="事後に判明")
    card = issue_card(person=victim.person, pin="1234")
    closing = open_protection_case(actor=alice, member=f.MemberFactory(insurer=alice.institution),
                                   victim_confirmed=True, fled_confirmed=True, requested_by_person=True)
    closure = request_case_closure(actor=alice, case=closing, reason="危険がなくなった", clear_settings=True)
    return {
        r"/case-closures/\{id\}": {"id": closure.pk},
        r"/members/\{branch_number\}": {"branch_number": victim.branch_number},
        r"/settings/\{id\}": {"id": nd.pk},
        r"/clearing-requests/\{id\}": {"id": clearing.pk},
        r"/cases/\{id\}": {"id": case.pk},
        r"/exchanges/\{id\}": {"id": str(exchange.pk)},
        r"/manual-responses/\{id\}": {"id": str(manual.pk)},
        r"/append-requests/\{id\}": {"id": str(append.pk)},
        r"/audit/\{id\}": {"id": 1},
        r"/insurers/\{id\}": {"id": alice.institution_id},
        r"/institutions/\{id\}": {"id": city_ko.pk},
        r"/persons/\{sim_id\}": {"sim_id": victim.person.sim_id},
        r"/cards/\{card_number\}": {"card_number": card.card_number},
    }


def _fixed_path(world, path: str) -> dict | None:
    for pattern, params in world.items():
        if re.search(pattern, path):
            return params
    return None


def _checker(strategy, count, headers, tried, statuses, key):
    @given(case=strategy)
    @hypothesis.settings(max_examples=count, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        tried[key] += 1
        statuses[response.status_code // 100 * 100] += 1

    return check


def test_schemathesis_no_server_error_and_responses_match_the_schema(
    alice, sam, audrey, victim, abuser, city_ko, items, procedures, settings, in_process_wsgi, sim_on
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = _world(alice, victim, abuser, city_ko, items, procedures)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", in_process_wsgi)
    operations = [result.ok() for result in schema.get_all_operations()]
    # The token is revoked by one operation: run it last, for each role.
    operations.sort(key=lambda op: op.path.endswith("/tokens/revoke/"))
    tried: Counter = Counter()
    statuses: Counter = Counter()

    def run(operation, headers, label):
        fixed = _fixed_path(world, operation.path)
        strategies = []
        for mode, count in ((GenerationMode.POSITIVE, POSITIVE_EXAMPLES), (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):
            random_ids = operation.as_strategy(generation_mode=mode)
            strategy = random_ids
            if fixed:
                strategy = st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=fixed), random_ids)
            strategies.append((mode, count, strategy))

        for mode, count, strategy in strategies:
            _checker(strategy, count, headers, tried, statuses, (label, mode.value))()

    roles = {"clerk": alice, "supervisor": sam, "auditor": audrey}
    v1 = [op for op in operations if op.path.startswith("/api/v1/")]
    sim = [op for op in operations if op.path.startswith("/api/sim/")]
    assert len(v1) + len(sim) == len(operations)
    for role, staff in roles.items():
        token = client_for(staff)._credentials["HTTP_AUTHORIZATION"]
        for operation in v1:
            run(operation, {"Authorization": token}, role)
    for operation in sim:
        run(operation, {"X-Nakama-Sim-Key": sim_on["HTTP_X_NAKAMA_SIM_KEY"]}, "sim")
    total = sum(tried.values())
    print(f"\nschemathesis: {len(operations)} operations ({len(v1)} v1 × 3 roles, {len(sim)} sim), "
          f"{total} cases; by role/mode {dict(tried)}; statuses {dict(sorted(statuses.items()))}")
    assert statuses[500] == 0
    assert statuses[200] > 0 and statuses[400] > 0
    assert total >= (len(v1) * 3 + len(sim)) * (POSITIVE_EXAMPLES // 2)


@pytest.fixture(autouse=True)
def _quiet_request_log(caplog):
    caplog.set_level("ERROR", logger="django.request")


@pytest.fixture
def in_process_wsgi():
    """Requests through the raw WSGI application share this test's transaction: keep Django from closing the
    connection at the end of each request (its test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
