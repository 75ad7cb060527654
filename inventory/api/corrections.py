"""API of corrections: adjustments and write-offs, and reversing a mistaken movement
(``inventory.services.corrections``).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.idempotency import honours_idempotency_key, idempotent_create

from .. import selectors, services
from .. import serializers as s
from ..models import StockMovement
from ._common import _sku, _stock_site, _validated


@extend_schema(tags=["inventory"], request=s.AdjustmentIn, responses={201: s.MovementSerializer})
class AdjustmentView(APIView):
    """Correct a lot with a reason code, or write stock off (expired, damaged). Coordinators, warehouse
    volunteers at a warehouse, and window staff at their own window."""

    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.AdjustmentIn, request)
        site = _stock_site(request, data["site"])
        if not (selectors.can_manage_stock(request.user, site) or selectors.window_of(request.user, site.pk)):
            raise PermissionDenied()
        sku = _sku(site.food_bank_id, data)

        def create():
            return services.record_adjustment(
                site=site,
                quantity=data["quantity"],
                reason=data["reason"],
                kind=data["kind"],
                note=data["note"],
                best_before=data["best_before"],
                occurred_at=data.get("occurred_at"),
                recorded_by=request.user,
                **sku,
            )

        movements = StockMovement.objects.select_related("item", "pack_type")
        return idempotent_create(
            request,
            scope="inventory.adjustment",
            create=create,
            render=lambda movement: s.MovementSerializer(movements.get(pk=movement.pk)).data,
            load=lambda pk: movements.get(pk=pk),
        )


@extend_schema(tags=["inventory"], request=s.ReverseIn, responses={201: s.MovementSerializer})
class ReverseMovementView(APIView):
    """Correct a mistaken receipt, adjustment or write-off with a reversing movement (coordinators)."""

    def post(self, request, pk: int):
        movement = get_object_or_404(selectors.visible_movements(request.user), pk=pk)
        if not selectors.is_coordinator_of(request.user, movement.food_bank_id):
            raise PermissionDenied()
        data = _validated(s.ReverseIn, request)
        reversal = services.reverse_movement(
            movement_id=movement.pk, recorded_by=request.user, reason=data["reason"]
        )
        reversal = StockMovement.objects.select_related("item", "pack_type").get(pk=reversal.pk)
        return Response(s.MovementSerializer(reversal).data, status=status.HTTP_201_CREATED)
