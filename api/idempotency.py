"""Idempotency-Key for the POSTs that send or decide (情報照会, 一括照会, 送信許可, 提供しない, 追記依頼, 解除の承認・却下,
設定対象者の終了依頼とその承認・却下).

Use `@idempotent` on the view's `post`. The whole act runs in one transaction together with its answer:
- the answer is built (serialized) before the commit, so nothing after the commit can turn a sent inquiry into an
  error the client would retry;
- with an `Idempotency-Key` header, the key is claimed first (a concurrent retry waits on the unique index), the
  first successful answer is stored in the same transaction, and a retry with the same key and body gets that answer
  (same status and body) without acting again; the same key with another body is 422.
Errors are not stored: an act that failed changed nothing (it rolled back), so a retry may try again.
"""

import hashlib
import json
import re
from functools import wraps

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from api.errors import ApiError
from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, as in the IETF draft's examples (UUIDs etc.)
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_REUSED = "この Idempotency-Key は別の内容のリクエストに使われています。新しいキーを使ってください。"
PENDING = 0  # status of a claimed key whose act has not committed yet (never visible to another transaction)


def request_hash(request) -> str:
    """SHA-256 of what makes two requests the same act: method, path and the parsed body (key order ignored)."""
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise ApiError(code="idempotency_key_reused", status_code=422,
                       message=KEY_REUSED)
    return Response(stored.body, status=stored.status_code, headers={REPLAYED_HEADER: "true"})


def _claim(user, key: str, fingerprint: str) -> IdempotencyKey | Response:
    """Claim the key inside the caller's transaction, or answer with what the first request stored."""
    stored = IdempotencyKey.objects.filter(staff=user, key=key).first()
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():  # savepoint: a lost race leaves the outer transaction usable
            return IdempotencyKey.objects.create(
                staff=user, key=key, request_hash=fingerprint, status_code=PENDING, body={},
            )
    except IntegrityError:
        # Another request with this key committed while we waited on the unique index: answer as it did.
        return _replay(IdempotencyKey.objects.get(staff=user, key=key), fingerprint)


def idempotent(post):
    """Decorate an APIView's `post`: one transaction for the act and its answer; Idempotency-Key replays."""

    @wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is not None and not KEY_PATTERN.fullmatch(key):
            raise ApiError(code="invalid_idempotency_key",
                           message="Idempotency-Key は1〜255文字の英数字と記号で指定してください。",
                           fields={HEADER: ["1〜255文字の英数字と記号で指定してください。"]})
        with transaction.atomic():
            claimed = None
            if key is not None:
                claimed = _claim(request.user, key, request_hash(request))
                if isinstance(claimed, Response):
                    return claimed
            response = post(view, request, *args, **kwargs)
            # Serialize now, inside the transaction: a body that cannot be rendered rolls the act back.
            text = json.dumps(response.data, ensure_ascii=False, default=str)
            text.encode()  # what the renderer will do after the commit (a lone surrogate would fail there)
            body = json.loads(text)
            response.data = body  # the first answer and every replay render the same JSON
            if claimed is not None:
                claimed.status_code, claimed.body = response.status_code, body
                claimed.save(update_fields=["status_code", "body"])
        return response

    wrapper.idempotent = True  # read by api.schema.NakamaAutoSchema (header in the OpenAPI schema)
    return wrapper


def purge_expired(*, older_than=None, batch: int = 10_000) -> int:
    """Delete stored answers older than IDEMPOTENCY_KEY_TTL (or `older_than`), `batch` rows per statement so no
    long lock is held; returns how many went. A retry with a purged key acts again: keys replay for at least the
    TTL (24 hours by default, as payment APIs keep theirs)."""
    from django.conf import settings
    from django.utils import timezone

    cutoff = timezone.now() - (older_than if older_than is not None else settings.IDEMPOTENCY_KEY_TTL)
    purged = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).order_by("created_at")
                   .values_list("pk", flat=True)[:batch])
        if not ids:
            return purged
        purged += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
