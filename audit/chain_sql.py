"""The chain as PostgreSQL keeps it (audit/migrations/0005_chain_in_database.py): the SQL both the app's inserts and
the database's own entries go through, and the canonical form (v2) that Python recomputes to verify it.

Canonical form v2: "nakama-audit-v2" followed by each field, in FIELDS order, as `<octets>:<text>` (or `~` for NULL):
the text of an integer is its decimal digits, `at` is microseconds since the epoch, and `before`/`after` are the
database's own text of the jsonb value (what `before::text` returns). Length prefixes make it unambiguous without
any escaping, so Python and SQL agree byte for byte.
"""

import hashlib

GENESIS = "0" * 64
PREFIX = "nakama-audit-v2"
# The order of the fields in the canonical form (prev is the previous entry's hash).
FIELDS = ("prev", "at_us", "db_transaction", "actor_id", "actor_name", "institution_id", "request_id", "action",
          "target_type", "target_id", "target_repr", "before", "after", "message")
# One 64-bit key of its own: the two-int keys of flags.selectors.lock_person_settings are a separate key space.
CHAIN_LOCK_KEY = 0x4E414B414D41  # "NAKAMA" (the one chain of audit/0005)
# A chain per institution (issue 20 point 3) plus one for the server's own events (institution NULL, key 0): the
# lock of chain k is CHAIN_LOCK_BASE + k, so writers of different insurers never wait for each other.
CHAIN_LOCK_BASE = 0x4E414B41 << 32  # "NAKA" in the high half
SERVER_CHAIN = 0


def chain_of(institution_id) -> int:
    return institution_id or SERVER_CHAIN

# What verify reads: every field as the text the canonical form uses (computed by built-in operators only).
# The chain (institution_id, 0 for the server's) comes first, then the fields in canonical order.
SELECT_ROWS = """
SELECT id, coalesce(institution_id, 0), prev_hash, entry_hash, (extract(epoch FROM at) * 1000000)::bigint, db_transaction, actor_id, actor_name,
       institution_id, request_id, action, target_type, target_id, target_repr, before::text, after::text, message
FROM audit_auditentry WHERE id > %s ORDER BY id
"""


def field(value) -> bytes:
    if value is None:
        return b"~"
    data = str(value).encode()
    return str(len(data)).encode() + b":" + data


def canonical_hash(prev: str, *values) -> str:
    """sha256 of the canonical form; `values` are the fields after prev, in FIELDS order."""
    return hashlib.sha256(PREFIX.encode() + b"".join(field(v) for v in (prev, *values))).hexdigest()


FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION nakama_audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(v)::text || ':' || v END
$$;

CREATE OR REPLACE FUNCTION nakama_audit_hash(e audit_auditentry) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to('{PREFIX}'
        || nakama_audit_field(e.prev_hash)
        || nakama_audit_field(((extract(epoch FROM e.at) * 1000000)::bigint)::text)
        || nakama_audit_field(e.db_transaction::text)
        || nakama_audit_field(e.actor_id::text)
        || nakama_audit_field(e.actor_name)
        || nakama_audit_field(e.institution_id::text)
        || nakama_audit_field(e.request_id)
        || nakama_audit_field(e.action)
        || nakama_audit_field(e.target_type)
        || nakama_audit_field(e.target_id)
        || nakama_audit_field(e.target_repr)
        || nakama_audit_field(e.before::text)
        || nakama_audit_field(e.after::text)
        || nakama_audit_field(e.message), 'UTF8')), 'hex')
$$;

-- Every insert, the app's and the database's own: the chain lock (held to commit), then the id, the transaction and
-- the link are set here, whatever the inserting statement said. The id is drawn under the lock so ids, commit
-- order and chain order agree. (One chain today; a chain per institution would key the lock and the head on it.)
CREATE OR REPLACE FUNCTION nakama_audit_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY});
    NEW.id := nextval(pg_get_serial_sequence('audit_auditentry', 'id'));
    NEW.db_transaction := txid_current();
    NEW.prev_hash := coalesce((SELECT entry_hash FROM audit_auditentry ORDER BY id DESC LIMIT 1), '{GENESIS}');
    NEW.entry_hash := nakama_audit_hash(NEW);
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS nakama_audit_chain ON audit_auditentry;
CREATE TRIGGER nakama_audit_chain BEFORE INSERT ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION nakama_audit_chain();
ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_chain;
"""

DROP_FUNCTIONS_SQL = """
DROP TRIGGER IF EXISTS nakama_audit_chain ON audit_auditentry;
DROP FUNCTION IF EXISTS nakama_audit_chain();
DROP FUNCTION IF EXISTS nakama_audit_hash(audit_auditentry);
DROP FUNCTION IF EXISTS nakama_audit_field(text);
"""

# Re-link the entries written before this migration under v2, in id order (run once, as the owner, with the
# append-only trigger off for this transaction only; the old chain is verified first).
RECHAIN_SQL = f"""
DO $$
DECLARE e audit_auditentry; prev text := '{GENESIS}';
BEGIN
    FOR e IN SELECT * FROM audit_auditentry ORDER BY id LOOP
        e.prev_hash := prev;
        prev := nakama_audit_hash(e);
        UPDATE audit_auditentry SET prev_hash = e.prev_hash, entry_hash = prev WHERE id = e.id;
    END LOOP;
END;
$$;
"""

# audit/0006: one chain per institution. The head of a chain is its entry with the highest id (index
# audit_chain_head_idx); the lock is the chain's own.
PER_INSTITUTION_SQL = f"""
CREATE OR REPLACE FUNCTION nakama_audit_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_catalog AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_BASE} + coalesce(NEW.institution_id, {SERVER_CHAIN}));
    NEW.id := nextval(pg_get_serial_sequence('audit_auditentry', 'id'));
    NEW.db_transaction := txid_current();
    IF NEW.institution_id IS NULL THEN
        NEW.prev_hash := coalesce((SELECT entry_hash FROM audit_auditentry WHERE institution_id IS NULL
                                   ORDER BY id DESC LIMIT 1), '{GENESIS}');
    ELSE
        NEW.prev_hash := coalesce((SELECT entry_hash FROM audit_auditentry WHERE institution_id = NEW.institution_id
                                   ORDER BY id DESC LIMIT 1), '{GENESIS}');
    END IF;
    NEW.entry_hash := nakama_audit_hash(NEW);
    RETURN NEW;
END;
$$;
"""

# Re-link every entry into its institution's chain, in id order (once, as the owner, the append-only trigger off).
RECHAIN_PER_INSTITUTION_SQL = f"""
DO $$
DECLARE e audit_auditentry; heads jsonb := '{{}}'; k text;
BEGIN
    FOR e IN SELECT * FROM audit_auditentry ORDER BY id LOOP
        k := coalesce(e.institution_id, {SERVER_CHAIN})::text;
        e.prev_hash := coalesce(heads ->> k, '{GENESIS}');
        e.entry_hash := nakama_audit_hash(e);
        heads := heads || jsonb_build_object(k, e.entry_hash);
        UPDATE audit_auditentry SET prev_hash = e.prev_hash, entry_hash = e.entry_hash WHERE id = e.id;
    END LOOP;
END;
$$;
"""
