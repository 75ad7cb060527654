"""API of stock-takes: record a count, read it, confirm it (``inventory.services.stock_takes``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.idempotency import honours_idempotency_key, idempotent_create

from .. import selectors, services
from .. import serializers as s
from ._common import _sku, _stock_site, _validated


@extend_schema(tags=["inventory"])
class StockTakeListCreateView(generics.ListAPIView):
    """Stock-takes: one person counts, another confirms (then the differences are booked)."""

    serializer_class = s.StockTakeOut

    def get_queryset(self):
        return selectors.visible_stock_takes(self.request.user).select_related("counted_by", "confirmed_by")

    @extend_schema(request=s.StockTakeIn, responses={201: s.StockTakeOut})
    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.StockTakeIn, request)
        site = _stock_site(request, data["site"])
        if not (selectors.can_manage_stock(request.user, site) or selectors.window_of(request.user, site.pk)):
            raise PermissionDenied()
        lines = []
        for index, line in enumerate(data["lines"]):
            try:
                sku = _sku(site.food_bank_id, line)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"lines": {index: exc.detail}}) from exc
            lines.append(
                services.CountIn(
                    counted=line["counted"], best_before=line["best_before"], reason=line["reason"], **sku
                )
            )

        def create():
            return services.record_stock_take(
                site=site,
                lines=lines,
                counted_by=request.user,
                note=data["note"],
                counted_at=data.get("counted_at"),
            )

        return idempotent_create(
            request,
            scope="inventory.stock_take",
            create=create,
            render=lambda take: s.StockTakeOut(self.get_queryset().get(pk=take.pk)).data,
            load=lambda pk: self.get_queryset().get(pk=pk),
        )


@extend_schema(tags=["inventory"])
class StockTakeDetailView(generics.RetrieveAPIView):
    serializer_class = s.StockTakeOut

    def get_queryset(self):
        return selectors.visible_stock_takes(self.request.user).select_related("counted_by", "confirmed_by")


@extend_schema(tags=["inventory"], request=None, responses=s.StockTakeOut)
class StockTakeConfirmView(APIView):
    """Confirm a count someone else made (403 `same_person` for your own); books the differences."""

    def post(self, request, pk: int):
        take = get_object_or_404(selectors.visible_stock_takes(request.user), pk=pk)
        if not (
            selectors.can_manage_stock(request.user, take.site)
            or selectors.window_of(request.user, take.site_id)
        ):
            raise PermissionDenied()
        services.confirm_stock_take(stock_take_id=take.pk, confirmed_by=request.user)
        take = (
            selectors.visible_stock_takes(request.user)
            .select_related("counted_by", "confirmed_by")
            .get(pk=pk)
        )
        return Response(s.StockTakeOut(take).data)
