"""The OpenAPI schema, and Schemathesis run against it in process (the WSGI application, this test's database).

Every operation of /api/v1/ is called as each role (担当者, 責任者, 監査者) with generated requests — path ids both
random and pointing at real objects of insurer A — and every operation of /api/sim/ without a token, with the
simulated world on. Every check Schemathesis has runs on every case (`--checks all`, issue 18 ⑥): no 5xx, the
response as the schema declares it (status code, content type, headers, body), schema-violating requests refused,
schema-valid ones accepted (see STATE_FIELDS for the only refusals that check may not count), no operation reached
without its token or required header, unsupported methods answered 405. (use_after_free, ensure_resource_availability
and object_level_authorization act only in Schemathesis' stateful runs; they pass over here.) The number of examples
is bounded so the whole run stays near two minutes; failures are collected, all reported at once.
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
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from exchanges.services import InquiryRequest, file_append_request, receive_inquiry, send_inquiry
from flags.case_lifecycle import request_case_closure
from flags.policy import SettingKind
from flags.services import open_protection_case, request_clearing, set_setting
from nakama.wsgi import application
from portal_sim.services import issue_card
from tests import factories as f
from tests.api.conftest import client_for

# `--checks all`: every check Schemathesis registers (max_response_time is no check of its registry: no timed
# assertion here).
load_all_checks()

# positive_data_acceptance is inapplicable to refusals no OpenAPI 3.0 schema can state, and only to those (a 400
# naming these fields; every other schema-valid request refused fails the check):
# - whether a code, id, card or member named in the body exists in the database now (a 400 naming the field: the
#   insurer system learns which value was wrong; a 404 would say the URL was);
# - dates relative to today or to the member's record (review_on within 3 years, lost_on after acquisition);
# - rules across fields, the caller's role or the object's state (OpenAPI 3.0 has no if/then): a reason required
#   when declining (note), before card procedures are complete (override_reason); content and rows not empty;
# - a computed check digit (insurer_number's 検証番号; its digits are in the schema's pattern);
# - control characters in a key, or a value under a key, the body did not declare, or in the free-form 副本 content
#   (OpenAPI 3.0 cannot constrain property names nor the strings of a free-form object);
# - a JSON null in a form-encoded body (a form has no null: it arrives as the text "null").
FREE_FORM = {"content"}
STATE_FIELDS = {"insurer_number", "procedure", "item", "provider", "member", "members", "sim_id", "to_institution", "records",
                "review_on", "inquiries", "person", "setting", "branch_number", "card_number", "institution",
                "insurer", "department", "linked_person", "proxy", "lost_on", "note", "override_reason", "content",
                "rows",
                "week",  # access digest: only the calendar's first and last weeks (no datetime bounds them)
                "username"}  # a case's 担当: whether that staff member is ours, active, 担当 already
# The 担当 endpoints name their state refusals (api/views/case_staff.py) instead of the generic "invalid".
STATE_CODES = {"invalid", "staff_unknown", "already_in_charge", "not_in_charge"}


def _declared_names(schema) -> set[str]:
    components = schema.raw_schema.get("components", {}).get("schemas", {})
    return {name for component in components.values() for name in component.get("properties", {})}


def _only_state_refusals(response, case) -> bool:
    if response.status_code == 422:  # an Idempotency-Key generated again for another body: refused by design
        try:
            return response.json().get("code") == "idempotency_key_reused"
        except ValueError:
            return False
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    fields = body.get("fields") or {}
    if body.get("code") == "control_characters":
        declared = _declared_names(case.operation.schema)
        def undeclared(path: str) -> bool:  # digits after the first key are list indices
            parts = path.split(".")
            return any(part in FREE_FORM or not (part in declared or (i and part.isdigit()))
                       for i, part in enumerate(parts))

        return all(undeclared(path) for path in fields)
    form = "form" in (case.media_type or "") and isinstance(case.body, dict)
    if form and fields and all(case.body.get(name, "") is None for name in fields):
        return True
    return body.get("code") in STATE_CODES and bool(fields) and set(fields) <= STATE_FIELDS


def positive_data_acceptance_but_state(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if _only_state_refusals(response, case):
            return None
        raise


CHECKS = [positive_data_acceptance_but_state if check is positive_data_acceptance else check
          for check in REGISTERED_CHECKS.get_all()]
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


def _checker(strategy, count, headers, tried, statuses, key, failures):
    @given(case=strategy)
    @hypothesis.settings(max_examples=count, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case):
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # schemathesis's FailureGroup: every failed check of this case
            found = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
            titles = sorted({getattr(f, "title", type(f).__name__) for f in found})
            failures.append(f"{key} {case.operation.method.upper()} {case.operation.path}: {titles}\n{failure}"[:1500])
            return
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
    failures: list[str] = []

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
            _checker(strategy, count, headers, tried, statuses, (label, mode.value), failures)()

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
    summary = Counter(f.split("\n")[0].split(" ", 2)[2] for f in failures)
    print("\n".join(f"{n:4} {line}" for line, n in summary.most_common()))
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:40])
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
