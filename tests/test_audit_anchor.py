"""Issue 18 point 4: the chain's head, signed with a key the database does not hold and kept outside it, catches an
owner who rewrites an entry and re-hashes everything after it (attack 4)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.services import record
from tests.exchanges.test_database_guarantees import acting_as, roles  # noqa: F401 (fixture)

KEY = "k2026:" + "s" * 40


@pytest.fixture
def anchors(tmp_path, monkeypatch):
    monkeypatch.setenv("NAKAMA_AUDIT_ANCHOR_KEY", KEY)
    monkeypatch.setenv("NAKAMA_AUDIT_ANCHOR_DIR", str(tmp_path))
    return tmp_path


def _entries(alice, n):
    return [record(actor=alice, action="test.act", after={"n": i}, message=f"理由{i}") for i in range(n)]


def _verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_verify_audit_checks_the_latest_anchor(anchors, alice):
    _entries(alice, 3)
    call_command("anchor_audit", stdout=io.StringIO())
    _entries(alice, 2)
    assert "と一致" in _verify()
    (written,) = anchors.glob("anchor-*.json")
    assert json.loads(written.read_text())["key_id"] == "k2026"


def test_owner_rewrite_and_rehash_is_caught_against_the_anchor(roles, anchors, alice):  # noqa: F811
    """As the owner: switch the append-only trigger off, edit an entry written before the anchor, recompute every
    hash from it on (the chain verifies by itself again), switch the trigger back on."""
    first, edited, *_ = _entries(alice, 4)
    call_command("anchor_audit", stdout=io.StringIO())
    head_before = _verify()
    with acting_as(roles["owner"]), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the test's own pending FK checks block ALTER TABLE)
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only")
        cursor.execute("UPDATE audit_auditentry SET message = '書き換えた理由' WHERE id = %s", [edited.pk])
        cursor.execute("""DO $$ DECLARE e audit_auditentry; prev text := %(prev)s;
            BEGIN
              FOR e IN SELECT * FROM audit_auditentry WHERE id >= %(id)s ORDER BY id LOOP
                e.prev_hash := prev; prev := nakama_audit_hash(e);
                UPDATE audit_auditentry SET prev_hash = e.prev_hash, entry_hash = prev WHERE id = e.id;
              END LOOP; END $$""", {"prev": edited.prev_hash, "id": edited.pk})
        cursor.execute("ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only")
    assert "と一致" in head_before
    call_command("verify_audit", anchor_dir="/nonexistent", stdout=io.StringIO())  # the chain alone: fooled
    with pytest.raises(CommandError, match="ハッシュが一致しません（アンカー以前の記録の書き換えと再計算）"):
        call_command("verify_audit", stdout=io.StringIO())
    assert first.pk < edited.pk


def test_a_forged_or_unknown_anchor_is_refused(anchors, alice, monkeypatch):
    _entries(alice, 2)
    call_command("anchor_audit", stdout=io.StringIO())
    (written,) = anchors.glob("anchor-*.json")
    body = json.loads(written.read_text())
    written.chmod(0o644)
    written.write_text(json.dumps(body | {"count": 1}))
    with pytest.raises(CommandError, match="署名が一致しません"):
        call_command("verify_audit", stdout=io.StringIO())
    written.write_text(json.dumps(body))
    monkeypatch.setenv("NAKAMA_AUDIT_ANCHOR_KEY", "k2027:" + "t" * 40)
    with pytest.raises(CommandError, match="鍵ID 'k2026' を知りません"):
        call_command("verify_audit", stdout=io.StringIO())


def test_a_rotated_key_still_verifies_older_anchors(anchors, alice, tmp_path_factory, monkeypatch):
    _entries(alice, 2)
    call_command("anchor_audit", stdout=io.StringIO())  # signed with k2026
    keyfile = tmp_path_factory.mktemp("keys") / "anchor.keys"
    keyfile.write_text("k2027:" + "t" * 40 + "\n" + KEY + "\n")  # new key first, the old one kept to verify
    monkeypatch.delenv("NAKAMA_AUDIT_ANCHOR_KEY")
    monkeypatch.setenv("NAKAMA_AUDIT_ANCHOR_KEY_FILE", str(keyfile))
    assert "と一致" in _verify()
    _entries(alice, 1)
    call_command("anchor_audit", stdout=io.StringIO())
    latest = max(anchors.glob("anchor-*.json"), key=lambda p: json.loads(p.read_text())["entry_id"])
    assert json.loads(latest.read_text())["key_id"] == "k2027"
    assert "と一致" in _verify()


def test_deleted_anchored_entries_are_caught(anchors, alice):
    *_, last = _entries(alice, 3)
    call_command("anchor_audit", stdout=io.StringIO())
    from tests.test_audit_chain import _tamper

    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match=f"アンカーした記録ID {last.pk} がありません"):
        call_command("verify_audit", stdout=io.StringIO())


def test_every_chain_is_anchored(roles, anchors, alice, bob):  # noqa: F811
    """One chain per insurer (issue 20 point 3): a rewrite of insurer B's chain alone is caught against its anchored
    head, though insurer A's chain and the last entry overall are untouched."""
    b_entries = [record(actor=bob, action="test.act", message=f"B{i}") for i in range(2)]
    _entries(alice, 2)
    call_command("anchor_audit", stdout=io.StringIO())
    (written,) = anchors.glob("anchor-*.json")
    heads = json.loads(written.read_text())["heads"]
    assert heads[str(bob.institution_id)] == [b_entries[1].pk, b_entries[1].entry_hash]
    assert str(alice.institution_id) in heads
    with acting_as(roles["owner"]), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only")
        cursor.execute("UPDATE audit_auditentry SET message = 'B書き換え' WHERE id = %s", [b_entries[1].pk])
        cursor.execute("UPDATE audit_auditentry e SET entry_hash = nakama_audit_hash(e) WHERE id = %s",
                       [b_entries[1].pk])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only")
    call_command("verify_audit", anchor_dir="/nonexistent", stdout=io.StringIO())  # B's tail re-hashed: chain holds
    with pytest.raises(CommandError, match=f"アンカーした記録ID {b_entries[1].pk} のハッシュが一致しません"):
        call_command("verify_audit", stdout=io.StringIO())
