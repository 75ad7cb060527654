"""Thin API views of the inventory: validate input, call one service, render the result.

Scope: an object outside what the user may see is 404 (``inventory.selectors``); an action the
user's role does not allow is 403. Posting a handout for a window one is not staff of is 404 (the
window is not theirs to see), from a user who is not window staff anywhere 403.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors as core
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role, Site

from . import selectors, services
from . import serializers as s
from .exceptions import UnknownPackType
from .models import Assembly, Item, PackType, ParLevel, StockMovement

# --- Helpers --------------------------------------------------------------------------------------


@contextmanager
def as_validation_errors():
    """Services refuse bad input with Django's ValidationError; the API answers DRF's 400 shape."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _coordinated_food_bank(request, requested: int | None) -> int:
    """The food bank a coordinator acts for: the one they coordinate, or the one they name."""
    ids = core.food_bank_ids(request.user, Role.COORDINATOR)
    if not ids:
        raise PermissionDenied()
    if requested is not None:
        if requested not in ids:
            raise serializers.ValidationError({"food_bank": [_("Not a food bank you coordinate.")]})
        return requested
    if len(ids) > 1:
        raise serializers.ValidationError({"food_bank": [_("Name the food bank: you coordinate several.")]})
    return next(iter(ids))


def _by_code(model, food_bank_id: int, codes: Iterable[str]) -> dict[str, object]:
    return {obj.code: obj for obj in model.objects.filter(food_bank_id=food_bank_id, code__in=set(codes))}


def _line_errors(lines: list[dict], field: str, known: dict) -> None:
    """400 keyed by line index (DRF's shape for a list of objects) when a line names an unknown code."""
    errors = {
        index: {field: [_("Unknown code.")]} for index, line in enumerate(lines) if line[field] not in known
    }
    if errors:
        raise serializers.ValidationError({"lines": errors})


def _stock_site(request, pk: int) -> Site:
    site = selectors.stock_sites(request.user).filter(pk=pk).first()
    if site is None:
        raise NotFound()
    return site


def _managed_site(request, pk: int) -> Site:
    """A site whose stock the user may change (coordinator; volunteer at a warehouse)."""
    site = _stock_site(request, pk)
    if not selectors.can_manage_stock(request.user, site):
        raise PermissionDenied()
    return site


def _sku(food_bank_id: int, data: dict) -> dict:
    if data.get("item"):
        item = Item.objects.filter(food_bank_id=food_bank_id, code=data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": [_("Unknown code.")]})
        return {"item": item, "pack_type": None}
    pack_type = PackType.objects.filter(food_bank_id=food_bank_id, code=data["pack_type"]).first()
    if pack_type is None:
        raise serializers.ValidationError({"pack_type": [_("Unknown code.")]})
    return {"item": None, "pack_type": pack_type}


# --- Items and pack types -------------------------------------------------------------------------


@extend_schema(tags=["inventory"])
class ItemListView(generics.ListAPIView):
    """Items (loose goods) of your food bank. Coordinators add or update one by code with POST."""

    serializer_class = s.ItemSerializer
    filterset_fields = ["category", "active"]

    def get_queryset(self):
        return selectors.visible_items(self.request.user).order_by("category", "name", "pk")

    @extend_schema(request=s.ItemIn, responses={201: s.ItemSerializer})
    def post(self, request):
        data = _validated(s.ItemIn, request)
        food_bank_id = _coordinated_food_bank(request, data.pop("food_bank", None))
        with as_validation_errors():
            item = services.upsert_item(
                food_bank=core.visible_organisations(request.user).get(pk=food_bank_id), **data
            )
        return Response(s.ItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PackTypeListView(generics.ListAPIView):
    """Pack types (``day1``, ``day3``, ``home``) with their current bill of contents. Coordinators add or
    update one by code with POST."""

    serializer_class = s.PackTypeSerializer

    def get_queryset(self):
        return selectors.visible_pack_types(self.request.user).order_by(
            "food_bank_id", "sort_order", "days", "pk"
        )

    @extend_schema(request=s.PackTypeIn, responses={201: s.PackTypeSerializer})
    def post(self, request):
        data = _validated(s.PackTypeIn, request)
        food_bank_id = _coordinated_food_bank(request, data.pop("food_bank", None))
        food_bank = core.visible_organisations(request.user).get(pk=food_bank_id)
        pack_type = services.upsert_pack_type(food_bank=food_bank, **data)
        return Response(s.PackTypeSerializer(pack_type).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PackTypeDetailView(generics.RetrieveAPIView):
    serializer_class = s.PackTypeSerializer

    def get_queryset(self):
        return selectors.visible_pack_types(self.request.user)


@extend_schema(tags=["inventory"], request=s.RecipeIn, responses={201: s.PackTypeSerializer})
class PackRecipeView(APIView):
    """A new version of the pack type's bill of contents (coordinators). Packs already assembled keep
    the version they were made with."""

    @honours_idempotency_key
    def post(self, request, pk: int):
        pack_type = get_object_or_404(selectors.visible_pack_types(request.user), pk=pk)
        if not selectors.is_coordinator_of(request.user, pack_type.food_bank_id):
            raise PermissionDenied()
        data = _validated(s.RecipeIn, request)
        items = _by_code(Item, pack_type.food_bank_id, (line["item"] for line in data["lines"]))
        _line_errors(data["lines"], "item", items)

        def create():
            with as_validation_errors():
                return services.set_pack_recipe(
                    pack_type=pack_type,
                    lines=[(items[line["item"]], line["quantity"]) for line in data["lines"]],
                    created_by=request.user,
                    note=data["note"],
                )

        # The answer is the pack type with its current recipe, on a replay too.
        return idempotent_create(
            request,
            scope="inventory.pack_recipe",
            create=create,
            render=lambda _recipe: (
                s.PackTypeSerializer(selectors.visible_pack_types(request.user).get(pk=pk)).data
            ),
            load=lambda recipe_pk: recipe_pk,
        )


# --- Stock ----------------------------------------------------------------------------------------


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


def _int_param(value: str, name: str) -> int:
    """A query parameter naming a row id (a bounded positive integer, so no lookup overflows)."""
    field = serializers.IntegerField(min_value=1, max_value=s.MAX_ID)
    try:
        return field.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


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
            with as_validation_errors():
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


# --- Handouts -------------------------------------------------------------------------------------


@extend_schema(tags=["handouts"])
class HandoutListCreateView(generics.ListAPIView):
    """Handouts at windows. Window staff see their own window's, coordinators their food bank's;
    ``?site=`` narrows to one window (404 if it is not one you see)."""

    serializer_class = s.HandoutOut

    @extend_schema(parameters=[OpenApiParameter("site", OpenApiTypes.INT)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = selectors.visible_handouts(self.request.user)
        site = self.request.query_params.get("site")
        if site:
            site_id = _int_param(site, "site")
            if not _sees_window(self.request.user, site_id):
                raise NotFound()
            qs = qs.filter(site_id=site_id)
        return qs.order_by("-occurred_at", "-pk")

    @extend_schema(
        request=s.HandoutIn,
        responses={201: s.HandoutOut},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        description=(
            "Hand out sets at your window. 409 `insufficient_stock` (with `shortages`) when any line is "
            "short: nothing is recorded. A retry with the same `Idempotency-Key` and body returns the "
            "first answer; the same key with another body is 422. Window staff of that window only: "
            "403 if you are not window staff, 404 for a window that is not yours."
        ),
    )
    @honours_idempotency_key
    def post(self, request):
        if not core.has_role(request.user, Role.WINDOW_STAFF):
            raise PermissionDenied()
        data = _validated(s.HandoutIn, request)
        site = selectors.window_of(request.user, data["site"])
        if site is None:
            raise NotFound()
        lines = {line["pack_type"]: line["quantity"] for line in data["lines"]}

        def create():
            with as_validation_errors(), _unknown_pack_types(data["lines"]):
                return services.record_handout(
                    site=site,
                    lines=lines,
                    household_size=data["household"]["size"],
                    household_type=data["household"]["type"],
                    referral_consent=data["referral_consent"],
                    note=data["note"],
                    occurred_at=data.get("occurred_at"),
                    recorded_by=request.user,
                )

        return idempotent_create(
            request,
            scope="inventory.handout",
            create=create,
            render=lambda handout: s.HandoutOut(handout).data,
            load=selectors.handout_for_render,
        )


def _sees_window(user, site_id: int) -> bool:
    return (
        site_id in core.site_ids(user, Role.WINDOW_STAFF)
        or Site.objects.filter(
            pk=site_id, food_bank_id__in=core.food_bank_ids(user, Role.COORDINATOR)
        ).exists()
    )


@contextmanager
def _unknown_pack_types(lines: list[dict]):
    try:
        yield
    except UnknownPackType as exc:
        errors = {
            index: {"pack_type": [_("Unknown pack type.")]}
            for index, line in enumerate(lines)
            if line["pack_type"] in exc.codes
        }
        raise serializers.ValidationError({"lines": errors}) from exc


@extend_schema(tags=["handouts"])
class HandoutDetailView(generics.RetrieveAPIView):
    serializer_class = s.HandoutOut

    def get_queryset(self):
        return selectors.visible_handouts(self.request.user)


@extend_schema(tags=["handouts"], request=None, responses=s.HandoutOut)
class HandoutVoidView(APIView):
    """Void a handout logged by mistake: reversing movements put the sets back (window staff of that
    window, coordinators)."""

    def post(self, request, pk: int):
        handout = get_object_or_404(selectors.visible_handouts(request.user), pk=pk)
        services.void_handout(handout_id=handout.pk, voided_by=request.user)
        return Response(s.HandoutOut(selectors.handout_for_render(handout.pk)).data)


# --- Donations, assembly, stock-takes -------------------------------------------------------------


@extend_schema(tags=["inventory"])
class ReceiptListCreateView(generics.ListAPIView):
    """Donations received (coordinators, warehouse volunteers): donor type, weight, items with
    best-before dates."""

    serializer_class = s.ReceiptOut

    def get_queryset(self):
        return selectors.visible_receipts(self.request.user).order_by("-received_at", "-pk")

    @extend_schema(
        request=s.ReceiptIn,
        responses={201: s.ReceiptOut},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.ReceiptIn, request)
        site = _managed_site(request, data["site"])
        items = _by_code(Item, site.food_bank_id, (line["item"] for line in data["lines"]))
        _line_errors(data["lines"], "item", items)
        lines = [
            services.ReceiptLineIn(
                item=items[x["item"]], quantity=x["quantity"], best_before=x["best_before"]
            )
            for x in data["lines"]
        ]

        def create():
            with as_validation_errors():
                return services.record_donation_receipt(
                    site=site,
                    donor_type=data["donor_type"],
                    donor_name=data["donor_name"],
                    weight_kg=data["weight_kg"],
                    reference=data["reference"],
                    note=data["note"],
                    received_at=data.get("received_at"),
                    lines=lines,
                    recorded_by=request.user,
                )

        return idempotent_create(
            request,
            scope="inventory.receipt",
            create=create,
            render=lambda receipt: s.ReceiptOut(receipt).data,
            load=lambda pk: selectors.visible_receipts(request.user).get(pk=pk),
        )


@extend_schema(tags=["inventory"], request=s.AssemblyIn, responses={201: s.AssemblyOut})
class AssemblyView(APIView):
    """Assemble packs in the warehouse from items (FEFO, current recipe). 409 `insufficient_stock`
    when an item is short."""

    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.AssemblyIn, request)
        site = _managed_site(request, data["site"])
        pack_type = _sku(site.food_bank_id, {"pack_type": data["pack_type"]})["pack_type"]

        def create():
            with as_validation_errors():
                return services.assemble_packs(
                    site=site, pack_type=pack_type, quantity=data["quantity"], recorded_by=request.user
                )

        return idempotent_create(
            request,
            scope="inventory.assembly",
            create=create,
            render=lambda assembly: s.AssemblyOut(assembly).data,
            load=lambda pk: Assembly.objects.get(pk=pk),
        )


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
            with as_validation_errors():
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


# --- Restocking -----------------------------------------------------------------------------------


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
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
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
            with as_validation_errors():
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
        with as_validation_errors():
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
        with as_validation_errors():
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
