"""Anchors of the audit chain (issue 18 point 4): the head, signed with a key the database does not hold, kept
where the database roles cannot write.

`python manage.py anchor_audit` (run by a timer, docs/operations.md) verifies the chains, then writes their heads
(entry id and hash of every institution's chain and the server's, the last entry, the count) with an HMAC-SHA256
into a new file of the anchor directory. `verify_audit` checks the latest anchor: its MAC, and that every anchored
entry still exists with the same hash on chains that verify. An
owner who switches the trigger off, edits an entry and re-hashes every later one cannot make the anchored hash come
out again; entries written after the latest anchor are protected only by the chain (anchor often).

Keys: NAKAMA_AUDIT_ANCHOR_KEY_FILE names a file of `key-id:secret` lines (first line signs; the others, older keys,
still verify: rotation), or NAKAMA_AUDIT_ANCHOR_KEY holds one such line. The directory: NAKAMA_AUDIT_ANCHOR_DIR.
Read from the environment by these commands only; the web application never needs them.
"""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from audit.chain import ChainReport

KEY_ENV, KEY_FILE_ENV, DIR_ENV = "NAKAMA_AUDIT_ANCHOR_KEY", "NAKAMA_AUDIT_ANCHOR_KEY_FILE", "NAKAMA_AUDIT_ANCHOR_DIR"
SIGNED_FIELDS = ("version", "database", "entry_id", "entry_hash", "count", "anchored_at", "key_id", "heads")


class AnchorError(Exception):
    """An anchor that cannot be made or does not hold (message in Japanese, for the command's output)."""


def keys() -> list[tuple[str, bytes]]:
    """(key id, secret) pairs, the signing key first."""
    path = os.environ.get(KEY_FILE_ENV, "")
    lines = Path(path).read_text().splitlines() if path else [os.environ.get(KEY_ENV, "")]
    pairs = []
    for line in (raw.strip() for raw in lines):
        if not line or line.startswith("#"):
            continue
        key_id, sep, secret = line.partition(":")
        if not sep or not key_id or len(secret) < 32:
            raise AnchorError("アンカー鍵は「鍵ID:秘密（32文字以上）」の形で指定してください。")
        pairs.append((key_id, secret.encode()))
    return pairs


def directory() -> Path | None:
    value = os.environ.get(DIR_ENV, "")
    return Path(value) if value else None


def _mac(secret: bytes, body: dict) -> str:
    message = json.dumps({k: body[k] for k in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    body: dict
    path: Path

    @property
    def entry_id(self) -> int:
        return self.body["entry_id"]


def write(report: ChainReport, *, database: str, target: Path | None = None) -> Anchor:
    """Sign the verified head of `report` and write it to a new file (never overwriting one)."""
    if not report.ok:
        raise AnchorError(f"ハッシュチェーンが壊れているためアンカーを作成しません（記録ID {report.broken_id}）。")
    if report.head_id is None:
        raise AnchorError("監査証跡が空のためアンカーを作成しません。")
    signing = keys()
    target = target or directory()
    if not signing or target is None:
        raise AnchorError(f"{KEY_FILE_ENV}（または {KEY_ENV}）と {DIR_ENV} を設定してください。")
    key_id, secret = signing[0]
    now = timezone.now()
    heads = report.heads or {0: (report.head_id, report.head)}  # SQLite: the one chain
    body = {"version": 1, "database": database, "entry_id": report.head_id, "entry_hash": report.head,
            "count": report.checked, "anchored_at": now.isoformat(), "key_id": key_id,
            "heads": {str(chain): [entry_id, entry_hash] for chain, (entry_id, entry_hash) in sorted(heads.items())}}
    body["mac"] = _mac(secret, body)
    path = target / f"anchor-{now:%Y%m%dT%H%M%S%fZ}-{report.head_id}.json"
    with open(path, "x") as handle:  # exclusive: an anchor is never replaced
        json.dump(body, handle, sort_keys=True)
    path.chmod(0o444)
    return Anchor(body, path)


def latest(source: Path | None = None) -> Anchor | None:
    source = source or directory()
    if source is None or not source.is_dir():
        return None
    anchors = []
    for path in source.glob("anchor-*.json"):
        try:
            anchors.append(Anchor(json.loads(path.read_text()), path))
        except (OSError, ValueError) as exc:
            raise AnchorError(f"アンカー {path.name} を読めません: {exc}") from None
    return max(anchors, key=lambda a: (a.entry_id, a.body.get("anchored_at", "")), default=None)


def check(anchor: Anchor, report: ChainReport, *, database: str, stored_hashes) -> None:
    """Raise AnchorError unless the anchor is genuine and every verified chain still runs through its anchored head.
    `stored_hashes(ids)` returns {id: entry_hash} of the entries that exist."""
    known = dict(keys())
    body = anchor.body
    secret = known.get(body.get("key_id", ""))
    if secret is None:
        raise AnchorError(f"アンカー {anchor.path.name} の鍵ID {body.get('key_id')!r} を知りません（鍵の設定を確認）。")
    if not all(k in body for k in SIGNED_FIELDS) or not hmac.compare_digest(_mac(secret, body), body.get("mac", "")):
        raise AnchorError(f"アンカー {anchor.path.name} の署名が一致しません（アンカーの改ざん）。")
    if body["database"] != database:
        raise AnchorError(f"アンカー {anchor.path.name} は別のデータベース（{body['database']}）のものです。")
    anchored = {entry_id: entry_hash for entry_id, entry_hash in body["heads"].values()}
    stored = stored_hashes(list(anchored))
    for entry_id, entry_hash in sorted(anchored.items()):
        if entry_id not in stored:
            raise AnchorError(f"アンカーした記録ID {entry_id} がありません（記録の削除）。")
        if stored[entry_id] != entry_hash:
            raise AnchorError(
                f"アンカーした記録ID {entry_id} のハッシュが一致しません（アンカー以前の記録の書き換えと再計算）。"
            )
    if report.checked < body["count"]:
        raise AnchorError(f"記録が {report.checked} 件しかありません（アンカー時 {body['count']} 件）。")
