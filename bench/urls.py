"""The product's routes plus the floors: bare DRF views, same authentication and permission
defaults (token, IsAuthenticated), that insert one row in a transaction / read one row by key /
update one row in a transaction (the handout benchmark's floor, docs/spec.md §7)."""

import json

from django.db import connection, transaction
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.urls import urlpatterns as product_urlpatterns

FLOOR_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, payload text NOT NULL, "
    "created_at timestamptz NOT NULL DEFAULT now())"
)
UPDATE_FLOOR_TABLE = "bench_floor_counter"


class FloorCreate(APIView):
    """Parse the same JSON body, insert one row in a transaction, answer 201 with its id."""

    def post(self, request):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_floor (payload) VALUES (%s) RETURNING id",
                [json.dumps(request.data, ensure_ascii=False)],
            )
            (pk,) = cursor.fetchone()
        return Response({"id": pk, "status": "submitted"}, status=201)


class FloorUpdate(APIView):
    """Parse the JSON body and update one row in a transaction (``bench/handout_bench.py``)."""

    def post(self, request):
        request.data  # noqa: B018  (parse the body, as the handout endpoint does)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {UPDATE_FLOOR_TABLE} SET value = value + 1 WHERE id = 1")  # noqa: S608
        return Response({"ok": True}, status=201)


class FloorDetail(APIView):
    """Read one row by primary key."""

    def get(self, request, pk: int):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, payload, created_at FROM bench_floor WHERE id = %s", [pk])
            row = cursor.fetchone()
        if row is None:
            return Response(status=404)
        return Response({"id": row[0], "payload": json.loads(row[1]), "created_at": row[2]})


urlpatterns = [
    path("bench/floor/", FloorCreate.as_view()),
    path("bench/floor/<int:pk>/", FloorDetail.as_view()),
    path("bench/floor/update/", FloorUpdate.as_view()),
    *product_urlpatterns,
]
