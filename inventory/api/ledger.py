"""API of the stock itself: a site's balances and the ledger's movements (read only)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from .. import serializers as s
from ._common import _int_param, _stock_site


@extend_schema(tags=["inventory"], responses=s.PackStockSerializer(many=True))
class SiteStockView(APIView):
    """Sets at a site, per pack type: what can be handed out now (``quantity``, unexpired, on hand),
    the earliest best-before among it, and what is reserved, in transit here, expired; ``par`` for
    windows. Staff of that site and the food bank's coordinators."""

    def get(self, request, pk: int):
        site = _stock_site(request, pk)
        return Response(s.PackStockSerializer(selectors.pack_stock(site), many=True).data)


@extend_schema(tags=["inventory"], responses=s.ItemStockSerializer(many=True))
class SiteItemStockView(APIView):
    """Loose items at a site (mostly the warehouse), per item."""

    def get(self, request, pk: int):
        site = _stock_site(request, pk)
        return Response(s.ItemStockSerializer(selectors.item_stock(site), many=True).data)


@extend_schema(
    tags=["inventory"],
    parameters=[
        OpenApiParameter("site", OpenApiTypes.INT),
        OpenApiParameter("kind", OpenApiTypes.STR),
    ],
)
class MovementListView(generics.ListAPIView):
    """The ledger: stock movements at the sites whose stock you see, newest first."""

    serializer_class = s.MovementSerializer

    def get_queryset(self):
        qs = selectors.visible_movements(self.request.user)
        params = self.request.query_params
        if params.get("site"):
            qs = qs.filter(site_id=_stock_site(self.request, _int_param(params["site"], "site")).pk)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        return qs.order_by("-occurred_at", "-pk")
