"""The app's URLs and /bench/bare-insert/: a DRF endpoint that parses the same JSON body and does one INSERT."""

import json

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from nakama.urls import urlpatterns as app_urlpatterns

TABLE_SQL = "CREATE TABLE IF NOT EXISTS bench_bare_insert (id bigserial PRIMARY KEY, at timestamptz, body jsonb)"


class BareInsert(APIView):
    """The floor for a JSON POST through DRF: no authentication, no rules, one INSERT (autocommit)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare_insert (at, body) VALUES (now(), %s) RETURNING id",
                           [json.dumps(request.data, ensure_ascii=False)])
            (row_id,) = cursor.fetchone()
        return Response({"id": row_id}, status=201)


urlpatterns = [path("bench/bare-insert/", BareInsert.as_view()), *app_urlpatterns]
