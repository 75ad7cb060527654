"""API of restocking: a window's par levels, and restock shipments (request, read, approve, cancel,
packed, received) (``inventory.services.restock``).
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Site

from .. import selectors, services
from .. import serializers as s
from ..models import PackType, ParLevel
from ._common import (
    _by_code,
    _int_param,
    _line_errors,
    _sees_window,
    _sku,
    _stock_site,
    _validated,
)


@extend_schema(tags=["restocking"])
class RestockListCreateView(generics.ListAPIView):
    """Restock shipments: windows see theirs, coordinators their food bank's. Window staff (or a
    coordinator) ask for sets with POST; a coordinator approves; shipping books and packs; the window
    confirms receipt."""

    serializer_class = s.RestockOut
    filterset_fields = ["status", "to_site"]

    def get_queryset(self):
        return selectors.visible_restock_shipments(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        request=s.RestockIn,
        responses={201: s.RestockOut},
    )
    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.RestockIn, request)
        site = selectors.window_of(request.user, data["site"])
        origin = "window"
        if site is None:
            site = Site.objects.filter(pk=data["site"], kind=Site.Kind.WINDOW).first()
            if site is None or not _sees_window(request.user, site.pk):
                raise NotFound()
            origin = "coordinator"
        pack_types = _by_code(PackType, site.food_bank_id, (line["pack_type"] for line in data["lines"]))
        _line_errors(data["lines"], "pack_type", pack_types)

        def create():
            return services.request_restock(
                site=site,
                lines={pack_types[x["pack_type"]]: x["quantity"] for x in data["lines"]},
                requested_by=request.user,
                note=data["note"],
                origin=origin,
            )

        return idempotent_create(
            request,
            scope="inventory.restock",
            create=create,
            render=lambda shipment: s.RestockOut(shipment).data,
            load=lambda pk: self.get_queryset().get(pk=pk),
        )


@extend_schema(tags=["restocking"])
class RestockDetailView(generics.RetrieveAPIView):
    serializer_class = s.RestockOut

    def get_queryset(self):
        return selectors.visible_restock_shipments(self.request.user)


class _RestockAction(APIView):
    def shipment(self, request, pk: int):
        return get_object_or_404(selectors.visible_restock_shipments(request.user), pk=pk)

    def answer(self, request, pk: int) -> Response:
        return Response(s.RestockOut(self.shipment(request, pk)).data)


@extend_schema(tags=["restocking"], request=s.RestockApproveIn, responses=s.RestockOut)
class RestockApproveView(_RestockAction):
    """Approve a requested or proposed restock (coordinators), optionally changing quantities."""

    def post(self, request, pk: int):
        shipment = self.shipment(request, pk)
        if not selectors.is_coordinator_of(request.user, shipment.food_bank_id):
            raise PermissionDenied()
        data = _validated(s.RestockApproveIn, request)
        quantities = None
        if "lines" in data:
            pack_types = _by_code(PackType, shipment.food_bank_id, (x["pack_type"] for x in data["lines"]))
            _line_errors(data["lines"], "pack_type", pack_types)
            quantities = {pack_types[x["pack_type"]].pk: x["quantity"] for x in data["lines"]}
        services.approve_restock(shipment_id=shipment.pk, approved_by=request.user, quantities=quantities)
        return self.answer(request, pk)


@extend_schema(tags=["restocking"], request=None, responses=s.RestockOut)
class RestockCancelView(_RestockAction):
    """Cancel before it leaves the warehouse: coordinators; window staff their own request."""

    def post(self, request, pk: int):
        shipment = self.shipment(request, pk)
        own_request = (
            selectors.window_of(request.user, shipment.to_site_id) and shipment.status == "requested"
        )
        if not (selectors.is_coordinator_of(request.user, shipment.food_bank_id) or own_request):
            raise PermissionDenied()
        services.cancel_restock(shipment_id=shipment.pk)
        return self.answer(request, pk)


@extend_schema(tags=["restocking"], request=None, responses=s.RestockOut)
class RestockPackedView(_RestockAction):
    """Mark a restock as gone from the warehouse without a dispatch batch (hand delivery):
    coordinators and warehouse volunteers. Batches do this through the shipping app."""

    def post(self, request, pk: int):
        shipment = self.shipment(request, pk)
        if not selectors.can_manage_stock(request.user, shipment.from_site):
            raise PermissionDenied()
        services.mark_restock_packed(shipment_id=shipment.pk, packed_by=request.user)
        return self.answer(request, pk)


@extend_schema(tags=["restocking"], request=None, responses=s.RestockOut)
class RestockReceiveView(_RestockAction):
    """The window confirms the sets arrived; they join its stock with their best-before dates."""

    def post(self, request, pk: int):
        shipment = self.shipment(request, pk)
        if not (
            selectors.window_of(request.user, shipment.to_site_id)
            or selectors.is_coordinator_of(request.user, shipment.food_bank_id)
        ):
            raise PermissionDenied()
        services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=request.user)
        return self.answer(request, pk)


@extend_schema(tags=["restocking"])
class ParLevelView(APIView):
    """Par levels of the windows you see (GET); coordinators set one with POST."""

    @extend_schema(
        responses=s.ParLevelSerializer(many=True), parameters=[OpenApiParameter("site", OpenApiTypes.INT)]
    )
    def get(self, request):
        qs = ParLevel.objects.filter(site__in=selectors.stock_sites(request.user)).select_related("pack_type")
        if request.query_params.get("site"):
            qs = qs.filter(site_id=_int_param(request.query_params["site"], "site"))
        return Response([_par_out(level) for level in qs.order_by("site_id", "pack_type__sort_order")])

    @extend_schema(request=s.ParLevelSerializer, responses={201: s.ParLevelSerializer})
    def post(self, request):
        data = _validated(s.ParLevelSerializer, request)
        site = _stock_site(request, data["site"])
        if not selectors.is_coordinator_of(request.user, site.food_bank_id):
            raise PermissionDenied()
        pack_type = _sku(site.food_bank_id, {"pack_type": data["pack_type"]})["pack_type"]
        level = services.set_par_level(site=site, pack_type=pack_type, par=data["par"])
        return Response(_par_out(level), status=status.HTTP_201_CREATED)


def _par_out(level: ParLevel) -> dict:
    return {
        "site": level.site_id,
        "pack_type": level.pack_type.code,
        "par": level.par,
        "seasonal_par": level.seasonal_par,
        "seasonal_until": level.seasonal_until,
        "seasonal_label": level.seasonal_label,
        "effective": level.effective_on(timezone.localdate()),
    }
