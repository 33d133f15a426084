"""一括照会 over the API: each line decided by the same rules as one inquiry (exchanges.batch, set-based).

- POST /api/v1/inquiries/batch/ (JSON, up to MAX_BATCH lines): one answer with a result per line, in one
  transaction with its Idempotency-Key like every sending POST.
- POST /api/v1/inquiries/batch/stream/ (up to MAX_STREAMED lines): NDJSON, one line of JSON per inquiry as each chunk
  of CHUNK lines commits, a progress line after each chunk and an end line. Each chunk commits on its own (its locks
  and the audit chain are not held for the whole batch); with an Idempotency-Key each chunk is stored under
  `<key>#<chunk>` in its own transaction, so a client whose stream broke retries with the same key and body: chunks
  that committed are replayed, the rest are sent. A stream without its end line did not finish.
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.errors import ApiError, exception_handler
from api.idempotency import HEADER, KEY_PATTERN, KEY_REUSED, idempotent
from api.models import IdempotencyKey
from api.permissions import IsInsurerStaff
from api.schema import ErrorSerializer, write_responses
from api.serializers import ExchangeOut
from api.views.common import ApiView, valid
from api.views.exchanges import InquiryIn
from exchanges.batch import CHUNK, BatchLine, send_inquiries
from exchanges.services import InquiryRequest
from flags import access_log
from members.models import Member, Person

MAX_BATCH = 100
MAX_STREAMED = 10_000
NDJSON = "application/x-ndjson"
UNKNOWN_MEMBER = "この被保険者枝番の被保険者は見つかりません。"


class BatchResultOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="入力の何件目か（0始まり）")
    sent = serializers.BooleanField(help_text="送信したら true")
    record = ExchangeOut(allow_null=True, help_text="送信した情報照会（送信しなかった場合は null）")
    error = ErrorSerializer(allow_null=True, help_text="送信しなかった理由（送信した場合は null）")


def _requests(user, lines: list[dict]):
    """The service's requests, the members of all lines found in one read; an unknown 枝番 is that line's error, and
    so is a missing access_reason where the line touches a protected person the sender is not 担当 of (issue 17, as
    for one inquiry). Returns the requests, the 枝番 by person, and each line's access to record once it is sent."""
    branches = {line["member"] for line in lines if line["member"]}
    members = {m.branch_number: m for m in Member.objects.visible_to(user).filter(branch_number__in=branches)
               .select_related("person")}
    sim_ids = {(line["sim_id"] or "").strip().upper() for line in lines if not line["member"] and line["sim_id"]}
    persons = dict(Person.objects.filter(sim_id__in=sim_ids).values_list("sim_id", "pk")) if sim_ids else {}
    person_of = [
        (members[line["member"]].person_id if line["member"] in members else None) if line["member"]
        else persons.get((line["sim_id"] or "").strip().upper())
        for line in lines
    ]
    touched = access_log.touched_persons(user, {p for p in person_of if p is not None})
    requests: list[InquiryRequest | Exception] = []
    accesses: dict[int, tuple[access_log.InquiryAccess, int]] = {}
    read: dict[tuple, access_log.InquiryAccess] = {}  # a person's access read once a batch, each line's reason checked
    for index, (line, person_id) in enumerate(zip(lines, person_of, strict=True)):
        member = members.get(line["member"]) if line["member"] else None
        if line["member"] and member is None:
            requests.append(ValidationError({"member": UNKNOWN_MEMBER}))
            continue
        if person_id in touched:
            known = (person_id, member.pk if member else None)
            if known not in read:
                read[known] = access_log.protected_access(user, person_id=person_id, member=member)
            try:
                access = read[known].given(line.get("access_reason", ""))
            except ValidationError as exc:
                requests.append(exc)
                continue
            if access.members:
                accesses[index] = (access, person_id)
        requests.append(InquiryRequest(
            procedure=line["procedure"], item=line["item"], provider=line["provider"], member=member,
            sim_id=line["sim_id"] or None, nondisclosure_code=line["nondisclosure_code"],
        ))
    branch_by_person = {m.person_id: m.branch_number for m in members.values()}
    return requests, branch_by_person, accesses


def _record_accesses(user, lines: list[BatchLine], accesses: dict) -> None:
    """In the sending transaction: the access entries of the lines that were sent (as for one inquiry)."""
    for line in lines:
        if line.sent and line.index in accesses:
            access, person_id = accesses[line.index]
            access.record(actor=user, person_id=person_id)


def _results(request, lines: list[BatchLine], branch_by_person: dict[int, str]) -> list[dict]:
    context = {"request": request, "branch_by_person": branch_by_person}
    out = []
    for line in lines:
        if line.sent:
            out.append({"index": line.index, "sent": True, "record": ExchangeOut(line.record, context=context).data,
                        "error": None})
        else:
            out.append({"index": line.index, "sent": False, "record": None,
                        "error": exception_handler(line.error, {"request": request}).data})
    return out


class BatchInquiryView(ApiView):
    """情報照会の一括送信: 件ごとに1件の照会と同じ規則で判定し、件ごとの結果を返す（送信済みの照会は取り消せないため）."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        inquiries = InquiryIn(many=True, min_length=1, max_length=MAX_BATCH, help_text=f"情報照会（1〜{MAX_BATCH}件）")

    class Output(serializers.Serializer):
        results = BatchResultOut(many=True, help_text="件ごとの結果（入力と同じ順）")

    @extend_schema(
        summary="情報照会の一括送信（件ごとの結果）",
        description="入力の形式に誤りがあれば 400 で何も送信しない。形式が正しければ件ごとに判定して送信し、"
                    "件ごとに送信できたか（sent）と、できなかった理由（error）を返す。"
                    f"{MAX_BATCH}件を超える場合は inquiries/batch/stream/ を使う。",
        request=Input, responses=write_responses(Output, extra=(422,)), tags=["情報照会"],
    )
    @idempotent
    def post(self, request):
        data = valid(self.Input, request)
        requests, branch_by_person, accesses = _requests(request.user, data["inquiries"])
        lines = send_inquiries(actor=request.user, requests=requests)
        _record_accesses(request.user, lines, accesses)
        return Response({"results": _results(request, lines, branch_by_person)})


def _fingerprint(request, number: int, lines: list) -> str:
    body = json.dumps(lines, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{number}\n{body}".encode()).hexdigest()


class BatchInquiryStreamView(ApiView):
    """情報照会の一括送信（大量・逐次応答）: NDJSON で件ごとの結果と進捗を返す."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        inquiries = InquiryIn(many=True, min_length=1, max_length=MAX_STREAMED,
                              help_text=f"情報照会（1〜{MAX_STREAMED}件）")

    @extend_schema(
        summary="情報照会の一括送信（大量・NDJSON で逐次応答）",
        description=f"{CHUNK}件ごとに判定・送信・確定し、1行1件の結果（type=line）、{CHUNK}件ごとの進捗（type=progress）、"
                    "最後に終了行（type=end）を NDJSON で返す。終了行がない応答は途中で切れたもの: 同じ Idempotency-Key と"
                    "本文で再送すると、確定済みの塊はその結果を返し、残りを送信する。",
        request=Input, responses={200: OpenApiResponse(description="NDJSON（application/x-ndjson）"),
                                  400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["情報照会"],
    )
    def post(self, request):
        key = request.headers.get(HEADER)
        if key is not None and (len(key) > 240 or not KEY_PATTERN.fullmatch(key)):  # room for "#<chunk>"
            raise ApiError(code="invalid_idempotency_key", message="Idempotency-Key は1〜240文字の英数字と記号で指定してください。",
                           fields={HEADER: ["1〜240文字の英数字と記号で指定してください。"]})
        raw = list(request.data.get("inquiries", [])) if isinstance(request.data, dict) else []
        data = valid(self.Input, request)
        response = StreamingHttpResponse(self._stream(request, key, data["inquiries"], raw), content_type=NDJSON)
        response["X-Accel-Buffering"] = "no"  # a proxy in front must pass the progress on as it comes
        return response

    def _stream(self, request, key: str | None, lines: list[dict], raw: list):
        total, sent = len(lines), 0
        for number, start in enumerate(range(0, total, CHUNK)):
            chunk = lines[start:start + CHUNK]
            results = self._chunk(request, key, number, start, chunk, raw[start:start + CHUNK])
            for result in results:
                sent += result["sent"]
                yield _line({"type": "line", **result})
            yield _line({"type": "progress", "done": min(start + CHUNK, total), "total": total, "sent": sent})
        yield _line({"type": "end", "done": total, "total": total, "sent": sent, "not_sent": total - sent})

    def _chunk(self, request, key, number: int, start: int, chunk: list[dict], raw: list) -> list[dict]:
        """One chunk, committed with its stored answer when the client gave a key (a replay answers from it)."""
        fingerprint = _fingerprint(request, number, raw)
        with transaction.atomic():
            claimed = None
            if key is not None:
                chunk_key = f"{key}#{number}"
                stored = IdempotencyKey.objects.filter(staff=request.user, key=chunk_key).first()
                if stored is not None and stored.request_hash == fingerprint:
                    return stored.body["results"]
                if stored is not None:
                    return [_refused(start + i, "idempotency_key_reused") for i in range(len(chunk))]
                try:
                    with transaction.atomic():
                        claimed = IdempotencyKey.objects.create(staff=request.user, key=chunk_key,
                                                                request_hash=fingerprint, status_code=0, body={})
                except IntegrityError:  # a concurrent retry of the same chunk committed first
                    return IdempotencyKey.objects.get(staff=request.user, key=chunk_key).body["results"]
            requests, branch_by_person, accesses = _requests(request.user, chunk)
            done = send_inquiries(actor=request.user, requests=requests)
            _record_accesses(request.user, done, accesses)
            results = _results(request, [BatchLine(start + line.index, line.record, line.error) for line in done],
                               branch_by_person)
            results = json.loads(json.dumps(results, ensure_ascii=False, default=str))
            if claimed is not None:
                claimed.status_code, claimed.body = 200, {"results": results}
                claimed.save(update_fields=["status_code", "body"])
        return results


def _refused(index: int, code: str) -> dict:
    return {"index": index, "sent": False, "record": None, "error": {
        "code": code, "message": KEY_REUSED,
        "fields": {}}}


def _line(payload: dict) -> bytes:
    return (json.dumps(payload, ensure_ascii=False, default=str) + "\n").encode()
