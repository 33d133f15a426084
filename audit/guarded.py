"""The protections' tables, kept by the database itself (issue 18 point 2): one list, applied by create_db_roles.

For each table: the privileges the runtime role loses, the columns it may UPDATE (when not the whole row), the
columns no UPDATE may change (`immutable`) or may change only while empty (`set_once`: a cleared setting stays
cleared), and the secret columns that the trail carries only as a SHA-256. Every INSERT, UPDATE and DELETE of these
tables, whoever makes it, is written to the hash-chained trail by an AFTER trigger in the same transaction, naming
the database session (`db.insert` / `db.update` / `db.delete`, audit/migrations/0005_chain_in_database.py). The app's
own changes leave their entry too, beside the app's entry of the same transaction: `verify_audit` lists the changes
that came without one (made behind the app's back).

A table of an app installed later (or renamed) is added here; create_db_roles picks it up on its next run.
"""

from dataclasses import dataclass

DEFAULT_REVOKE = ("DELETE", "TRUNCATE")


@dataclass(frozen=True)
class Guard:
    revoke: tuple[str, ...] = DEFAULT_REVOKE
    update_columns: tuple[str, ...] = ()  # a column-level UPDATE grant instead of the whole row's ("UPDATE" revoked)
    immutable: tuple[str, ...] = ()
    set_once: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    activity: tuple[str, ...] = ()  # columns sign-ins change: not listed as direct changes by verify_audit
    check: str = ""  # a further BEFORE INSERT OR UPDATE trigger function of FUNCTIONS_SQL


FOUR_EYES_IMMUTABLE = ("institution_id", "requested_at", "requested_by_id", "reason")

GUARDED: dict[str, Guard] = {
    # Settings: added as new rows; the one change is clearing, once, through the four-eyes step.
    "flags_setting": Guard(
        revoke=("UPDATE", "DELETE", "TRUNCATE"),
        update_columns=("cleared_at", "cleared_by_id", "cleared_by_name", "clear_requested_by_id",
                        "clear_requested_by_name", "clear_reason"),
        set_once=("cleared_at",), check="nakama_setting_clearing_approved",
    ),
    "flags_caselinkedperson": Guard(
        revoke=("UPDATE", "DELETE", "TRUNCATE"), update_columns=("removed_at",), set_once=("removed_at",),
        check="nakama_link_removal_approved",
    ),
    "flags_protectioncase": Guard(immutable=("institution_id", "member_id", "opened_at", "opened_by_id"),
                                  set_once=("closed_at",)),
    "flags_clearingrequest": Guard(immutable=(*FOUR_EYES_IMMUTABLE, "setting_id"), set_once=("decided_at",),
                                   check="nakama_four_eyes"),
    "flags_caseclosure": Guard(immutable=(*FOUR_EYES_IMMUTABLE, "case_id", "clear_settings"),
                               set_once=("decided_at",), check="nakama_four_eyes"),
    "flags_linkremovalrequest": Guard(immutable=(*FOUR_EYES_IMMUTABLE, "link_id"), set_once=("decided_at",),
                                      check="nakama_four_eyes"),
    "flags_handover": Guard(
        immutable=("from_case_id", "from_institution_id", "to_institution_id", "person_id", "offered_at",
                   "offered_by_id"),
        set_once=("decided_at",),
    ),
    "institutions_rolegrantrequest": Guard(
        immutable=(*FOUR_EYES_IMMUTABLE, "role", "username", "is_new_account"), set_once=("decided_at",),
        secrets=("password_hash",), check="nakama_four_eyes",
    ),
    # Staff: roles change through role grants (audited by the app); the trigger shows any other change.
    "institutions_staff": Guard(immutable=("institution_id", "is_superuser"), secrets=("password",),
                                activity=("last_login",)),
    # django-otp saves whole rows and deletes replaced devices: a device's key and owner never change.
    "otp_totp_totpdevice": Guard(
        revoke=("TRUNCATE",), immutable=("key", "user_id"), secrets=("key",),
        activity=("last_t", "drift", "throttling_failure_count", "throttling_failure_timestamp", "last_used_at"),
    ),
    # knox: tokens are made and deleted, never changed (REST_KNOX AUTO_REFRESH is off).
    "knox_authtoken": Guard(revoke=("UPDATE", "TRUNCATE"), secrets=("digest", "token_key")),
    # 担当 of a case (issue 17 ⑥): added as rows; the one change is a removal, once.
    "flags_casestaff": Guard(revoke=("UPDATE", "DELETE", "TRUNCATE"),
                             update_columns=("removed_at", "removed_by_name"), set_once=("removed_at",)),
    # 同伴者 (issue 17 ⑤): removed only through their four-eyes request, once.
    "flags_casecompanion": Guard(revoke=("UPDATE", "DELETE", "TRUNCATE"), update_columns=("removed_at",),
                                 set_once=("removed_at",)),
    "flags_companionremovalrequest": Guard(immutable=(*FOUR_EYES_IMMUTABLE, "companion_id"), set_once=("decided_at",),
                                           check="nakama_four_eyes"),
    "flags_handovercompanion": Guard(revoke=("UPDATE", "DELETE", "TRUNCATE")),
    # Who made each token (issue 18 ③): written once with the token, never changed; deleted with it (CASCADE).
    "signin_apitokenprovenance": Guard(revoke=("UPDATE", "TRUNCATE")),
}


def _args(*values: str) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def trigger_sql(table: str, guard: Guard, quote) -> list[str]:
    """The statements that attach the trail trigger (and the guard, when the table has one) to `table`."""
    q = quote(table)
    steps = [
        f"CREATE OR REPLACE TRIGGER nakama_trail AFTER INSERT OR UPDATE OR DELETE ON {q} "
        f"FOR EACH ROW EXECUTE FUNCTION nakama_audit_row_change({_args(*guard.secrets)})",
        f"ALTER TABLE {q} ENABLE ALWAYS TRIGGER nakama_trail",
    ]
    if guard.immutable or guard.set_once:
        args = _args("immutable", *guard.immutable, "once", *guard.set_once)
        steps += [
            f"CREATE OR REPLACE TRIGGER nakama_guard BEFORE UPDATE ON {q} "
            f"FOR EACH ROW EXECUTE FUNCTION nakama_guard_row({args})",
            f"ALTER TABLE {q} ENABLE ALWAYS TRIGGER nakama_guard",
        ]
    if guard.check:
        steps += [
            f"CREATE OR REPLACE TRIGGER nakama_check BEFORE INSERT OR UPDATE ON {q} "
            f"FOR EACH ROW EXECUTE FUNCTION {guard.check}()",
            f"ALTER TABLE {q} ENABLE ALWAYS TRIGGER nakama_check",
        ]
    return steps


def grant_sql(table: str, guard: Guard, runtime: str, quote) -> list[str]:
    q = quote(table)
    steps = [f"REVOKE {', '.join(guard.revoke)} ON {q} FROM {runtime}"]
    if guard.update_columns:
        columns = ", ".join(quote(c) for c in guard.update_columns)
        steps.append(f"GRANT UPDATE ({columns}) ON {q} TO {runtime}")
    return steps


FUNCTIONS_SQL = """
-- BEFORE UPDATE: arguments 'immutable', columns..., 'once', columns... (a set-once column may go from NULL to a
-- value, never back or to another value).
CREATE OR REPLACE FUNCTION nakama_guard_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE o jsonb := to_jsonb(OLD); n jsonb := to_jsonb(NEW); mode text := 'immutable'; col text;
BEGIN
    FOREACH col IN ARRAY coalesce(TG_ARGV, ARRAY[]::text[]) LOOP
        IF col IN ('immutable', 'once') THEN mode := col; CONTINUE; END IF;
        IF (o -> col) IS DISTINCT FROM (n -> col) AND (mode = 'immutable' OR (o -> col) <> 'null'::jsonb) THEN
            RAISE EXCEPTION 'nakama: %.% cannot be changed (保護の変更はアプリの手続でのみ行えます)', TG_TABLE_NAME, col
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

-- Four eyes in the database: a request is made pending and undecided; it is decided by someone other than the
-- requester. (Who may decide, and independence by provenance, stay the app's rules.)
CREATE OR REPLACE FUNCTION nakama_four_eyes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND (NEW.state <> 'pending' OR NEW.decided_at IS NOT NULL OR NEW.decided_by_id IS NOT NULL) THEN
        RAISE EXCEPTION 'nakama: % is made pending (依頼は承認待ちで作成します)', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state <> 'pending' AND (NEW.decided_by_id IS NULL OR NEW.decided_by_id = NEW.requested_by_id) THEN
        RAISE EXCEPTION 'nakama: % is decided by someone other than the requester (依頼者以外が承認します)',
            TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

-- A setting is added in force and cleared only by the approver of an approved clearing request or case closure.
CREATE OR REPLACE FUNCTION nakama_setting_clearing_approved() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.cleared_at IS NOT NULL THEN
        RAISE EXCEPTION 'nakama: a setting is added in force (設定は有効な状態で追加します)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.cleared_at IS NULL AND NEW.cleared_at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM flags_clearingrequest c WHERE c.setting_id = NEW.id AND c.state = 'approved'
            AND c.decided_by_id = NEW.cleared_by_id
        UNION ALL
        SELECT 1 FROM flags_caseclosure k WHERE k.case_id = NEW.case_id AND k.state = 'approved' AND k.clear_settings
            AND k.decided_by_id = NEW.cleared_by_id
    ) THEN
        RAISE EXCEPTION 'nakama: flags_setting % is cleared only by an approved request (解除は承認された依頼でのみ)',
            NEW.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION nakama_link_removal_approved() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.removed_at IS NOT NULL THEN
        RAISE EXCEPTION 'nakama: a link is added in force' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.removed_at IS NULL AND NEW.removed_at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM flags_linkremovalrequest r WHERE r.link_id = NEW.id AND r.state = 'approved'
    ) THEN
        RAISE EXCEPTION 'nakama: flags_caselinkedperson % is removed only by an approved request (削除は承認された依頼でのみ)',
            NEW.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

-- AFTER INSERT/UPDATE/DELETE: one chained audit entry naming the database session; arguments are secret columns.
CREATE OR REPLACE FUNCTION nakama_audit_row_change() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    r jsonb; before_j jsonb; after_j jsonb; col text; inst bigint; verb text;
BEGIN
    FOREACH col IN ARRAY coalesce(TG_ARGV, ARRAY[]::text[]) LOOP
        IF o ->> col IS NOT NULL THEN
            o := jsonb_set(o, ARRAY[col], to_jsonb('sha256:' || encode(sha256(convert_to(o ->> col, 'UTF8')), 'hex')));
        END IF;
        IF n ->> col IS NOT NULL THEN
            n := jsonb_set(n, ARRAY[col], to_jsonb('sha256:' || encode(sha256(convert_to(n ->> col, 'UTF8')), 'hex')));
        END IF;
    END LOOP;
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(key, value) INTO before_j FROM jsonb_each(o) WHERE n -> key IS DISTINCT FROM value;
        IF before_j IS NULL THEN RETURN NULL; END IF;  -- nothing changed
        SELECT jsonb_object_agg(key, value) INTO after_j FROM jsonb_each(n) WHERE o -> key IS DISTINCT FROM value;
    ELSE
        before_j := o; after_j := n;
    END IF;
    r := coalesce(n, o);
    inst := coalesce(r ->> 'institution_id', r ->> 'from_institution_id')::bigint;
    IF inst IS NULL AND r ? 'user_id' THEN
        SELECT institution_id INTO inst FROM institutions_staff WHERE id = (r ->> 'user_id')::bigint;
    END IF;
    verb := CASE TG_OP WHEN 'INSERT' THEN '追加' WHEN 'UPDATE' THEN '変更' ELSE '削除' END;
    INSERT INTO audit_auditentry (at, actor_id, actor_name, institution_id, request_id, action, target_type,
                                  target_id, target_repr, before, after, message, prev_hash, entry_hash)
    VALUES (clock_timestamp(), NULL, left('DB:' || current_user, 150), inst,
            left(coalesce(current_setting('nakama.request_id', true), ''), 64),
            'db.' || lower(TG_OP), TG_TABLE_NAME, left(coalesce(r ->> 'id', r ->> 'digest', ''), 64),
            left(TG_TABLE_NAME || ' ' || coalesce(r ->> 'id', ''), 255), before_j, after_j,
            format('データベースで直接%s: ロール %s（接続 %s）、application_name %s、プロセス %s、接続元 %s',
                   verb, current_user, session_user, coalesce(current_setting('application_name', true), ''),
                   pg_backend_pid(), coalesce(inet_client_addr()::text, 'ローカル')),
            '', '');
    RETURN NULL;
END;
$$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS nakama_guard_row() CASCADE;
DROP FUNCTION IF EXISTS nakama_audit_row_change() CASCADE;
DROP FUNCTION IF EXISTS nakama_four_eyes() CASCADE;
DROP FUNCTION IF EXISTS nakama_setting_clearing_approved() CASCADE;
DROP FUNCTION IF EXISTS nakama_link_removal_approved() CASCADE;
"""
