"""Issue 9 ④: the database itself keeps the audit trail and the 不開示 of exchange records, whoever asks.

The suite connects as a superuser; each test creates the owner and runtime roles (names derived from the test
database, so parallel test databases do not collide; everything is rolled back with the test) and switches to
them with SET ROLE, as the application and the migration runner would connect.
"""

import contextlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import verify_chain
from audit.services import record as audit
from exchanges.models import ExchangeRecord
from exchanges.nws import process_pending_append_requests
from exchanges.services import file_append_request
from flags.policy import SettingKind
from flags.services import set_peer_setting, set_setting


@pytest.fixture
def roles(requires_postgres):
    name = connection.settings_dict["NAME"]
    owner, runtime = f"{name}_owner", f"{name}_app"
    call_command("create_db_roles", owner=owner, runtime=runtime, stdout=io.StringIO())
    return {"owner": owner, "runtime": runtime}


@contextlib.contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refused(*statements: tuple[str, list | None]) -> None:
    """The last statement fails (the ones before it set the stage inside the same savepoint)."""
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)


@pytest.fixture
def coded_record(victim, city_data, city_ko, ask):
    """An inquiry with 不開示コード on both sides: set by hand by alice, and by 甲市, which flagged her itself."""
    set_peer_setting(institution=city_ko, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="支援措置")
    record = ask(city_ko, member=victim, code=True)
    assert record.inquiry_code and record.provision_code
    return record


@pytest.fixture
def appended_record(alice, victim, city_data, city_ko, ask):
    record = ask(city_ko, member=victim)
    file_append_request(actor=alice, record=record, reason="後から設定対象者と判明")
    process_pending_append_requests()
    record.refresh_from_db()
    assert record.appended_nondisclosure_at is not None
    return record


def _audit_row(alice):
    return audit(actor=alice, action="test.act", message="元の理由").pk


RUNTIME_BYPASSES = {
    # The pgtrigger era: any role could switch the old Protect trigger off for its transaction.
    "pgtrigger_ignore_then_update_audit": lambda ids: [
        ("SET LOCAL pgtrigger.ignore = 'audit_auditentry:pgtrigger_audit_append_only_e1503'", None),
        ("UPDATE audit_auditentry SET message = '改ざん' WHERE id = %s", [ids["audit"]]),
    ],
    "update_audit": lambda ids: [("UPDATE audit_auditentry SET message = '改ざん' WHERE id = %s", [ids["audit"]])],
    "delete_audit": lambda ids: [("DELETE FROM audit_auditentry WHERE id = %s", [ids["audit"]])],
    "truncate_audit": lambda ids: [("TRUNCATE audit_auditentry CASCADE", None)],
    "session_replication_role_replica": lambda ids: [("SET session_replication_role = replica", None)],
    "disable_audit_trigger": lambda ids: [
        ("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only", None)
    ],
    "replace_audit_trigger_function": lambda ids: [(
        "CREATE OR REPLACE FUNCTION nakama_audit_append_only() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END; $$", None,
    )],
    "grant_itself_update_then_update_audit": lambda ids: [
        ("GRANT UPDATE ON audit_auditentry TO CURRENT_USER", None),
        ("UPDATE audit_auditentry SET message = '改ざん' WHERE id = %s", [ids["audit"]]),
    ],
    "delete_exchange_record": lambda ids: [("DELETE FROM exchanges_exchangerecord WHERE id = %s", [ids["coded"]])],
    "truncate_exchange_records": lambda ids: [("TRUNCATE exchanges_exchangerecord CASCADE", None)],
    "clear_nondisclosure_codes": lambda ids: [(
        "UPDATE exchanges_exchangerecord SET inquiry_code = false, provision_code = false WHERE id = %s",
        [ids["coded"]],
    )],
    "clear_inquiry_code_to_null": lambda ids: [(
        "UPDATE exchanges_exchangerecord SET inquiry_code = NULL WHERE id = %s", [ids["coded"]]
    )],
    "clear_applied_append_request": lambda ids: [(
        "UPDATE exchanges_exchangerecord SET appended_nondisclosure_at = NULL WHERE id = %s", [ids["appended"]]
    )],
    "drop_exchange_trigger": lambda ids: [
        ("DROP TRIGGER nakama_exchange_nondisclosure_sticky ON exchanges_exchangerecord", None)
    ],
    "alter_own_role_superuser": lambda ids: [("ALTER ROLE CURRENT_USER SUPERUSER", None)],
    "create_table_in_schema": lambda ids: [("CREATE TABLE nakama_shadow (id int)", None)],
    "create_temporary_function": lambda ids: [(
        "CREATE FUNCTION pg_temp.nakama_shadow() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", None
    )],
}


@pytest.mark.parametrize("bypass", RUNTIME_BYPASSES, ids=str)
def test_runtime_role_is_refused(bypass, roles, alice, coded_record, appended_record):
    ids = {"audit": _audit_row(alice), "coded": coded_record.pk, "appended": appended_record.pk}
    with acting_as(roles["runtime"]):
        refused(*RUNTIME_BYPASSES[bypass](ids))
    coded_record.refresh_from_db()
    appended_record.refresh_from_db()
    assert coded_record.inquiry_code and coded_record.provision_code
    assert appended_record.appended_nondisclosure_at is not None
    assert verify_chain().ok


OWNER_BYPASSES = {
    # The owner could switch pgtrigger's Protect off with a setting; the plain trigger ignores it.
    "pgtrigger_ignore_then_update_audit": lambda ids: [
        ("SET LOCAL pgtrigger.ignore = 'audit_auditentry:pgtrigger_audit_append_only_e1503'", None),
        ("UPDATE audit_auditentry SET message = '改ざん' WHERE id = %s", [ids["audit"]]),
    ],
    "session_replication_role_replica": lambda ids: [("SET session_replication_role = replica", None)],
    "clear_nondisclosure_codes": lambda ids: [(
        "UPDATE exchanges_exchangerecord SET inquiry_code = false, provision_code = false WHERE id = %s",
        [ids["coded"]],
    )],
    "delete_exchange_record": lambda ids: [("DELETE FROM exchanges_exchangerecord WHERE id = %s", [ids["coded"]])],
}


@pytest.mark.parametrize("bypass", OWNER_BYPASSES, ids=str)
def test_owner_role_is_refused_by_the_triggers(bypass, roles, alice, coded_record):
    ids = {"audit": _audit_row(alice), "coded": coded_record.pk}
    with acting_as(roles["owner"]):
        refused(*OWNER_BYPASSES[bypass](ids))
    coded_record.refresh_from_db()
    assert coded_record.inquiry_code and coded_record.provision_code


def test_runtime_role_runs_the_application(roles, alice, victim, city_data, city_ko, ask):
    """The grants are enough for the work: a setting, an inquiry with its automatic code, a 追記依頼, audit entries."""
    with acting_as(roles["runtime"]):
        set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
        record = ask(city_ko, member=victim)
        file_append_request(actor=alice, record=record, reason="念のため")
        process_pending_append_requests()
        assert ExchangeRecord.objects.get(pk=record.pk).inquiry_code
        assert verify_chain().ok


def test_runtime_role_owns_nothing_and_is_no_superuser(roles):
    """(SET ROLE is checked against the session user, a superuser in this suite, so "become the owner" is proven
    here by membership: the runtime role is a member of no role at all.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s",
            [roles["runtime"]],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s",
            [roles["runtime"]],
        )
        assert cursor.fetchone() == (False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s", [roles["runtime"]],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) <> %s", [roles["owner"]],
        )
        assert cursor.fetchone() == (0,)


def test_create_db_roles_is_idempotent(roles):
    call_command("create_db_roles", owner=roles["owner"], runtime=roles["runtime"], stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, 'audit_auditentry', 'UPDATE')", [roles["runtime"]])
        assert cursor.fetchone() == (False,)
        cursor.execute("SELECT has_table_privilege(%s, 'audit_auditentry', 'INSERT')", [roles["runtime"]])
        assert cursor.fetchone() == (True,)


def test_a_row_edited_by_the_owner_is_caught_by_verify_audit(roles, alice):
    """The owner can switch its own trigger off; the hash chain still names the entry it changed."""
    first, edited, last = (_audit_row(alice) for _ in range(3))
    with acting_as(roles["owner"]), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the test's own pending FK checks block ALTER TABLE)
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only")
        cursor.execute("UPDATE audit_auditentry SET message = '書き換えた理由' WHERE id = %s", [edited])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only")
    with pytest.raises(CommandError, match=f"記録ID {edited}"):
        call_command("verify_audit", stdout=io.StringIO())
    assert first < edited < last


def test_a_row_deleted_by_the_owner_is_caught_by_verify_audit(roles, alice):
    first, deleted, after = (_audit_row(alice) for _ in range(3))
    with acting_as(roles["owner"]), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the test's own pending FK checks block ALTER TABLE)
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only")
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [deleted])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only")
    with pytest.raises(CommandError, match=f"記録ID {after}"):
        call_command("verify_audit", stdout=io.StringIO())
    assert first < deleted


def test_create_db_roles_refuses_to_demote_a_superuser(requires_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        superuser = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="スーパーユーザー"):
        call_command("create_db_roles", owner="nakama_x_owner", runtime=superuser, stdout=io.StringIO())
