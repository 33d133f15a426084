"""Issue 18 point 2: the protections are changed only through the front door, or it shows.

As the runtime role (the one the app and the daily jobs connect as), statement by statement: each attack on the
protections' tables is refused by the database, or leaves a chained audit entry written by the database itself,
naming the session, that verify_audit lists as a change made without the application. And the application itself
still does its work as that role.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from audit.chain import verify_chain
from audit.direct_changes import direct_changes
from audit.models import AuditEntry
from flags.case_lifecycle import decide_case_closure, request_case_closure
from flags.links import decide_link_removal, link_person, request_link_removal
from flags.models import CaseLinkedPerson, Setting
from flags.policy import SettingKind
from flags.services import decide_clearing, open_protection_case, request_clearing, set_setting
from institutions.models import Role, Staff
from institutions.services import decide_role_grant, request_role_grant
from signin.services import enrol_totp
from signin.tokens import create_sim_token
from tests.exchanges.test_database_guarantees import acting_as, refused, roles  # noqa: F401 (fixture)


@pytest.fixture
def protected(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True)
    link = link_person(actor=alice, case=case, person=abuser, reason="加害者")
    setting = Setting.objects.get(case=case, kind=SettingKind.NON_DISCLOSURE)
    return {"case": case, "link": link, "setting": setting}


def _ids(protected, sam):
    device = enrol_totp(staff=sam, reason="テスト")
    return {"setting": protected["setting"].pk, "link": protected["link"].pk, "case": protected["case"].pk,
            "sam": sam.pk, "device": device.pk}


# Each refused outright (privilege, guard or four-eyes trigger).
REFUSED = {
    "clear_setting_by_update": lambda i: [("UPDATE flags_setting SET cleared_at = now() WHERE id = %s", [i["setting"]])],
    "clear_setting_naming_an_approver": lambda i: [(
        "UPDATE flags_setting SET cleared_at = now(), cleared_by_id = %s WHERE id = %s", [i["sam"], i["setting"]]
    )],
    "delete_settings": lambda i: [("DELETE FROM flags_setting", None)],
    "truncate_settings": lambda i: [("TRUNCATE flags_setting CASCADE", None)],
    "change_setting_kind": lambda i: [("UPDATE flags_setting SET kind = 'no_auto' WHERE id = %s", [i["setting"]])],
    "insert_cleared_setting": lambda i: [(
        "INSERT INTO flags_setting (institution_id, member_id, person_id, kind, source, reason, set_at, set_by_name, "
        "cleared_at, cleared_by_name, clear_requested_by_name, clear_reason) SELECT institution_id, member_id, "
        "person_id, 'no_self_info', source, 'x', now(), '', now(), '', '', '' FROM flags_setting WHERE id = %s",
        [i["setting"]],
    )],
    "remove_link_by_update": lambda i: [(
        "UPDATE flags_caselinkedperson SET removed_at = now() WHERE id = %s", [i["link"]]
    )],
    "delete_link": lambda i: [("DELETE FROM flags_caselinkedperson WHERE id = %s", [i["link"]])],
    "insert_approved_clearing_request": lambda i: [(
        "INSERT INTO flags_clearingrequest (state, requested_at, requested_by_name, decided_at, decided_by_id, "
        "decided_by_name, decision_note, setting_id, institution_id, reason, override_reason, override_by_name) "
        "SELECT 'approved', now(), '', now(), %s, '', '', id, institution_id, 'x', '', '' FROM flags_setting "
        "WHERE id = %s", [i["sam"], i["setting"]],
    )],
    "reopen_closed_case_field": lambda i: [(
        "UPDATE flags_protectioncase SET member_id = member_id + 1 WHERE id = %s", [i["case"]]
    )],
    "delete_case": lambda i: [("DELETE FROM flags_protectioncase WHERE id = %s", [i["case"]])],
    "move_staff_to_another_insurer": lambda i: [(
        "UPDATE institutions_staff SET institution_id = NULL WHERE id = %s", [i["sam"]]
    )],
    "make_staff_superuser": lambda i: [("UPDATE institutions_staff SET is_superuser = true WHERE id = %s", [i["sam"]])],
    "delete_staff": lambda i: [("DELETE FROM institutions_staff WHERE id = %s", [i["sam"]])],
    "replace_totp_key": lambda i: [(
        "UPDATE otp_totp_totpdevice SET key = '3132333435363738393031323334353637383930' WHERE id = %s",
        [i["device"]],
    )],
    "give_totp_device_to_another": lambda i: [(
        "UPDATE otp_totp_totpdevice SET user_id = user_id + 1 WHERE id = %s", [i["device"]]
    )],
    "extend_api_token": lambda i: [("UPDATE knox_authtoken SET expiry = NULL", None)],
    "truncate_tokens": lambda i: [("TRUNCATE knox_authtoken", None)],
    "drop_trail_trigger": lambda i: [("DROP TRIGGER nakama_trail ON flags_setting", None)],
    "disable_trail_trigger": lambda i: [("ALTER TABLE flags_setting DISABLE TRIGGER nakama_trail", None)],
}


@pytest.mark.parametrize("attack", REFUSED, ids=str)
def test_runtime_role_is_refused_on_the_protections(attack, roles, alice, sam, protected):  # noqa: F811
    ids = _ids(protected, sam)
    before = AuditEntry.objects.count()
    with acting_as(roles["runtime"]):
        refused(*REFUSED[attack](ids))
    setting, link = Setting.objects.get(pk=ids["setting"]), CaseLinkedPerson.objects.get(pk=ids["link"])
    assert setting.cleared_at is None and link.removed_at is None
    assert Staff.objects.get(pk=ids["sam"]).institution_id == alice.institution_id
    assert AuditEntry.objects.count() == before, "a refused statement leaves nothing behind"
    assert verify_chain().ok


# What the role may still do (the app needs it), each written to the trail by the database itself.
SHOWN = {
    "promote_clerk_to_supervisor": ("institutions_staff", "db.update", lambda i: [(
        "UPDATE institutions_staff SET role = 'supervisor' WHERE id = %s", [i["alice"]]
    )]),
    "mint_api_token": ("knox_authtoken", "db.insert", lambda i: [(
        "INSERT INTO knox_authtoken (digest, token_key, created, user_id, expiry) "
        "VALUES (repeat('a', 128), 'abcdefgh', now(), %s, NULL)", [i["sam"]]
    )]),
    "delete_totp_device": ("otp_totp_totpdevice", "db.delete", lambda i: [(
        "DELETE FROM otp_totp_totpdevice WHERE id = %s", [i["device"]]
    )]),
    "add_totp_device": ("otp_totp_totpdevice", "db.insert", lambda i: [(
        "INSERT INTO otp_totp_totpdevice (user_id, name, confirmed, key, step, t0, digits, tolerance, drift, last_t, "
        "throttling_failure_count) VALUES (%s, 'x', true, '3132333435363738393031323334353637383930', 30, 0, 6, 1, "
        "0, -1, 0)", [i["sam"]]
    )]),
    "edit_case_notes": ("flags_protectioncase", "db.update", lambda i: [(
        "UPDATE flags_protectioncase SET card_suspension_confirmed_on = current_date WHERE id = %s", [i["case"]]
    )]),
}


@pytest.mark.parametrize("attack", SHOWN, ids=str)
def test_what_the_runtime_role_can_change_is_written_by_the_database(attack, roles, alice, sam, protected):  # noqa: F811
    ids = _ids(protected, sam) | {"alice": alice.pk}
    table, action, statements = SHOWN[attack]
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with acting_as(roles["runtime"]), connection.cursor() as cursor:
        cursor.execute("SET application_name = 'intruder'")
        for sql, params in statements(ids):
            cursor.execute(sql, params)
        cursor.execute("RESET application_name")
    entry = AuditEntry.objects.get(id__gt=last, action=action, target_type=table)
    assert entry.actor_id is None and entry.actor_name == f"DB:{roles['runtime']}"
    assert roles["runtime"] in entry.message and "intruder" in entry.message and "プロセス" in entry.message
    assert verify_chain().ok


def test_secrets_reach_the_trail_only_hashed(roles, sam):  # noqa: F811
    with acting_as(roles["runtime"]):
        device = enrol_totp(staff=sam, reason="テスト")
        token = create_sim_token(staff=sam, reason="テスト")
    key_entry = AuditEntry.objects.get(action="db.insert", target_type="otp_totp_totpdevice", target_id=str(device.pk))
    assert device.key not in str(key_entry.after) and key_entry.after["key"].startswith("sha256:")
    token_entry = AuditEntry.objects.get(action="db.insert", target_type="knox_authtoken")
    assert token[:8] not in str(token_entry.after) and token_entry.after["digest"].startswith("sha256:")
    assert token_entry.institution_id == sam.institution_id


def test_runtime_role_runs_the_protections(roles, alice, sam, sue, victim, abuser, dept_a):  # noqa: F811
    """Four-eyes clearing, linking and unlinking, closing a case, a role grant, a token, a sign-in: all still work,
    and every row they change is in the trail beside the app's own entry (nothing listed as a direct change)."""
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with acting_as(roles["runtime"]):
        setting = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="本人の申出")
        clearing = request_clearing(actor=alice, setting=setting, reason="本人の申出による解除")
        decide_clearing(actor=sam, clearing_request=clearing, approve=True)
        case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                    requested_by_person=True)
        link = link_person(actor=alice, case=case, person=abuser, reason="加害者")
        decide_link_removal(actor=sam, removal_request=request_link_removal(actor=alice, link=link, reason="誤登録"),
                            approve=True)
        closure = request_case_closure(actor=alice, case=case, reason="本人から終了の申出", clear_settings=True)
        decide_case_closure(actor=sam, closure=closure, approve=True)
        grant = request_role_grant(actor=sam, staff=alice, role=Role.SUPERVISOR, reason="昇任")
        decide_role_grant(actor=sue, grant_request=grant, approve=True)
        enrol_totp(staff=sue, reason="テスト")
        create_sim_token(staff=sue, reason="テスト")
        with transaction.atomic():
            Client().force_login(sue)
    setting.refresh_from_db()
    alice.refresh_from_db()
    sue.refresh_from_db()
    assert setting.cleared_by == sam and alice.role == Role.SUPERVISOR and sue.last_login is not None
    assert not Setting.objects.filter(case=case, cleared_at__isnull=True).exists()
    written = set(AuditEntry.objects.filter(id__gt=last, action__startswith="db.").values_list("target_type", "action"))
    assert {("flags_setting", "db.update"), ("flags_caselinkedperson", "db.update"), ("institutions_staff", "db.update"),
            ("knox_authtoken", "db.insert"), ("flags_clearingrequest", "db.update")} <= written
    assert direct_changes(after_id=last) == []
    assert verify_chain().ok


@pytest.fixture
def committed_roles(requires_postgres, flushed_catalogue):
    """The roles and triggers, committed (each statement below is its own transaction, as in production); taken
    away again afterwards so that the other tests of the session run without them."""
    from audit.guarded import GUARDED

    name = connection.settings_dict["NAME"]
    names = {"owner": f"{name}_owner", "runtime": f"{name}_app"}
    call_command("create_db_roles", owner=names["owner"], runtime=names["runtime"], stdout=io.StringIO())
    yield names
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        for table in GUARDED:
            for trigger in ("nakama_trail", "nakama_guard", "nakama_check"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        cursor.execute("SELECT current_user")
        superuser = cursor.fetchone()[0]
        for role in names.values():
            cursor.execute(f"REASSIGN OWNED BY {role} TO {superuser}")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_verify_audit_lists_what_was_changed_behind_the_apps_back(committed_roles, alice, sam, victim):
    """Attack 2 of issue 18, in production's shape: the app's own change (an entry of its own in the same
    transaction) is not listed; the bare UPDATE of a role is, naming the session."""
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with acting_as(committed_roles["runtime"]), connection.cursor() as cursor:
        set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="本人の申出")
        cursor.execute("SET application_name = 'psql'")
        cursor.execute("UPDATE institutions_staff SET role = 'supervisor' WHERE id = %s", [alice.pk])
        cursor.execute("RESET application_name")
    entry = AuditEntry.objects.get(id__gt=last, action="db.update", target_type="institutions_staff")
    assert entry.before == {"role": "clerk"} and entry.after == {"role": "supervisor"}
    assert AuditEntry.objects.filter(id__gt=last, action="db.insert", target_type="flags_setting").exists()
    assert [c.id for c in direct_changes(after_id=last)] == [entry.id]
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f"記録ID {entry.id} db.update institutions_staff {alice.pk} role" in out.getvalue()
    assert "application_name psql" in out.getvalue()
