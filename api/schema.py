"""OpenAPI pieces shared by every operation: the error body and the usual 4xx responses."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    code = serializers.CharField(help_text="エラーの種別（英字。例: invalid, not_found, permission_denied, flag_check_failed）")
    message = serializers.CharField(help_text="エラーの内容（日本語）")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="項目ごとのエラー。一括登録では rows の下に行番号（0始まり）ごとのエラー。",
    )
    open_case = serializers.DictField(
        required=False, child=serializers.JSONField(),
        help_text="open_case_exists（409）のときのみ: 対応中の設定対象者 {\"id\": ID, \"url\": 参照URL}",
    )


_DESCRIPTIONS = {
    400: "入力内容に誤りがあります（fields に項目ごとのエラー）。",
    401: "認証トークンがない、または正しくありません。",
    403: "この操作を行う権限がありません（役割による制限）。",
    404: "見つかりません（他の保険者のもの、または存在しないもの）。",
    409: "状態が変わったため処理できません。",
    422: "同じ Idempotency-Key が別の内容のリクエストに使われました。",
    503: "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした（fail closed）。",
    429: "リクエストが多すぎます（Retry-After 秒後に再試行してください）。",
}


def error(status: int) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS.get(status, "エラー"))


def read_responses(ok, *, detail: bool = False, extra: tuple[int, ...] = ()) -> dict:
    """Responses of a read: 200, 401, 403 (not insurer staff / role), 404 for a single object or a bad cursor."""
    codes = (400, 401, 403, 404, *extra)
    return {200: ok, **{c: error(c) for c in codes}}


def write_responses(ok, *, status: int = 200, extra: tuple[int, ...] = ()) -> dict:
    codes = (400, 401, 403, 404, *extra)
    return {status: ok, **{c: error(c) for c in codes}}


def sim_responses(ok, *, status: int = 200, extra: tuple[int, ...] = ()) -> dict:
    """/api/sim/ answers 404 to everything while the simulation API is off, 403 without the simulation key."""
    codes = (400, 403, 404, *extra)
    return {status: ok, **{c: error(c) for c in codes}}


SIM_KEY_PARAM = OpenApiParameter(
    "X-Nakama-Sim-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="シミュレーションAPIのキー（サーバーの NAKAMA_SIM_KEY）。ないか誤りなら 403。",
)
IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="再送しても二重に実行しないためのキー（1〜255文字の英数字と記号）。同じキーの再送には最初の結果"
                "（同じステータスと本文）を返し、別の内容に同じキーを使うと 422。",
)


class NakamaAutoSchema(AutoSchema):
    """Names components of nested Input/Output serializers after their view (e.g. LossViewInput), so the one-view-
    per-operation style does not produce clashing "Input" components. Adds the simulation-key header to /api/sim/
    and the Idempotency-Key header to the POSTs that send or decide (api/idempotency.py)."""

    def get_override_parameters(self):
        from api.permissions import HasSimKey

        parameters = list(super().get_override_parameters())
        if HasSimKey in getattr(self.view, "permission_classes", ()):
            parameters.append(SIM_KEY_PARAM)
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "idempotent", False):
            parameters.append(IDEMPOTENCY_PARAM)
        return parameters

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer.__class__ if not isinstance(serializer, type) else serializer
        qualname = getattr(cls, "__qualname__", "")
        if "." in qualname and name.startswith(cls.__name__):
            name = qualname.replace(".", "") + name[len(cls.__name__):]
        return name

    def _get_response_bodies(self, direction="response"):
        """A throttled operation (throttle_scope) also answers 429 with the error body."""
        responses = super()._get_response_bodies(direction)
        if direction == "response" and getattr(self.view, "throttle_scope", None) and "429" not in responses:
            responses["429"] = self._get_response_for_code(error(429), "429", direction=direction)
        return responses


def id_param(description: str, *, uuid: bool = False) -> OpenApiParameter:
    """The {id} of a path: an integer, or an opaque UUID for exchange records."""
    return OpenApiParameter("id", OpenApiTypes.UUID if uuid else OpenApiTypes.INT, OpenApiParameter.PATH,
                            description=description)


def str_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)
