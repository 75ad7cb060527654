"""Thin API views of shipping: dispatch batches, their documents, tracking import, packing.

A batch or parcel outside the user's food banks is 404; an action the role does not allow is 403
(shipping.selectors)."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import AuditEvent, Role
from foodbank.selectors import food_bank_ids, has_role
from foodbank.uploads import read_text_upload
from inventory.models import PackType

from . import deliveries, delivery_status, selectors, services
from .models import BatchDocument, DispatchBatch, Parcel
from .serializers import (
    BatchIn,
    BatchOut,
    BatchSummaryOut,
    DeliveryStatusIn,
    DeliveryStatusOut,
    HandedOverOut,
    PackedIn,
    PantryShipmentIn,
    PantryShipmentOut,
    ParcelOut,
    TrackingImportIn,
    TrackingImportOut,
    VoidIn,
    VoidOut,
)

TAGS = ["shipping"]
REFUSALS = {
    400: OpenApiResponse(description="Validation errors per field"),
    403: OpenApiResponse(description="Your role may not do this"),
    404: OpenApiResponse(description="Not found, or not visible to you"),
    409: OpenApiResponse(description="`invalid_transition`, `insufficient_stock` …"),
}


def _batch(user, pk: int) -> DispatchBatch:
    batch = selectors.visible_batches(user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def _parcel(user, pk: int) -> Parcel:
    parcel = selectors.visible_parcels(user).filter(pk=pk).first()
    if parcel is None:
        raise Http404
    return parcel


def _require_shipping(user) -> None:
    if not selectors.may_see_shipping(user):
        raise PermissionDenied(_("Your role may not see dispatch batches."))


def _require_coordinator(user, message: str) -> None:
    """403 before any lookup: the role may not do this at all."""
    if not has_role(user, Role.COORDINATOR):
        raise PermissionDenied(message)


def _coordinated_parcel(user, pk: int) -> Parcel:
    parcel = (
        selectors.visible_parcels(user)
        .filter(pk=pk, food_bank_id__in=selectors.coordinated_food_bank_ids(user))
        .first()
    )
    if parcel is None:
        raise Http404
    return parcel


def render_batch(batch: DispatchBatch, request) -> dict:
    """The batch with its counts, parcel list and document links (four queries)."""
    counts = services.batch_counts(batch.pk)
    batch.parcel_summary = {**counts, "list": selectors.batch_parcel_list(batch.pk)}
    batch.document_kinds = set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True))
    return BatchOut(batch, context={"request": request}).data


class BatchListCreateView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="v1_dispatch_batches_list",
        responses={200: paginated(BatchSummaryOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_shipping(request.user)
        qs = selectors.visible_batches(request.user).order_by("-ship_date", "-pk")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(BatchSummaryOut(page, many=True).data)

    @extend_schema(tags=TAGS, request=BatchIn, responses={202: BatchSummaryOut, **REFUSALS})
    def post(self, request):
        if not has_role(request.user, Role.COORDINATOR):
            raise PermissionDenied(_("Only coordinators run dispatch batches."))
        data_in = BatchIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        accounts = selectors.coordinated_accounts(request.user).order_by("pk")
        if data["carrier_account"] is not None:
            accounts = accounts.filter(pk=data["carrier_account"])
        account = accounts.first()
        if account is None:
            raise serializers.ValidationError({"carrier_account": [_("No such carrier account.")]})
        batch, _created = services.open_batch(
            account_id=account.pk, ship_date=data["ship_date"], by=request.user
        )
        batch = DispatchBatch.objects.select_related("account").get(pk=batch.pk)
        return Response(BatchSummaryOut(batch).data, status=status.HTTP_202_ACCEPTED)


class BatchDetailView(APIView):
    @extend_schema(tags=TAGS, responses={200: BatchOut, 403: REFUSALS[403], 404: REFUSALS[404]})
    def get(self, request, pk: int):
        _require_shipping(request.user)
        return Response(render_batch(_batch(request.user, pk), request))


class BatchDocumentView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="v1_dispatch_batches_document",
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=BatchDocument.Kind.values)],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            403: REFUSALS[403],
            404: REFUSALS[404],
        },
    )
    def get(self, request, pk: int, kind: str):
        _require_shipping(request.user)
        batch = _batch(request.user, pk)
        if not selectors.may_download(request.user, batch, kind):
            raise PermissionDenied(_("Volunteers may download the pick list, packing slips and labels only."))
        document = BatchDocument.objects.filter(batch=batch, kind=kind).first()
        if document is None:
            raise Http404
        # One event per download, with the people whose parcels are in it (docs/trust.md).
        services.record_parcels_shown(
            request=request,
            object_type="batch_document",
            object_id=f"{batch.pk}:{kind}",
            batch_id=batch.pk,
            action=AuditEvent.Action.EXPORT,
            detail={"kind": kind},
        )
        ext = document.file.name.rsplit(".", 1)[-1]
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{batch.reference}-{kind}.{ext}",
            content_type=document.media_type,
        )


class TrackingImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": TrackingImportIn},
        responses={200: TrackingImportOut, **REFUSALS},
    )
    def post(self, request, pk: int):
        _require_shipping(request.user)
        batch = _batch(request.user, pk)
        if batch.food_bank_id not in food_bank_ids(request.user, Role.COORDINATOR):
            raise PermissionDenied(_("Only coordinators import tracking numbers."))
        data_in = TrackingImportIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        text = read_text_upload(
            data_in.validated_data["file"], max_lines=services.tracking_import_max_rows(batch.pk)
        )
        result = services.import_tracking(batch_id=batch.pk, data=text.encode("utf-8"), by=request.user)
        return Response(TrackingImportOut(result).data)


class DeliveryStatusImportView(APIView):
    """The courier's delivery status for parcels of the batch's food bank (shipping.delivery_status)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": DeliveryStatusIn},
        responses={200: DeliveryStatusOut, **REFUSALS},
    )
    def post(self, request, pk: int):
        _require_shipping(request.user)
        batch = _batch(request.user, pk)
        if batch.food_bank_id not in food_bank_ids(request.user, Role.COORDINATOR):
            raise PermissionDenied(_("Only coordinators import delivery status."))
        data_in = DeliveryStatusIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        text = read_text_upload(data_in.validated_data["file"], max_lines=delivery_status.max_rows(batch.pk))
        result = delivery_status.import_delivery_status(batch_id=batch.pk, text=text, by=request.user)
        return Response(DeliveryStatusOut(result).data)


class ParcelListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="v1_parcels_list",
        parameters=[
            OpenApiParameter("batch", int),
            OpenApiParameter("reference", str),
            OpenApiParameter("status", str, enum=Parcel.Status.values),
        ],
        responses={200: paginated(ParcelOut), 400: REFUSALS[400], 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_shipping(request.user)
        qs = selectors.visible_parcels(request.user).order_by("pk")
        if (batch := request.query_params.get("batch")) is not None:
            if not (batch.isascii() and batch.isdigit()):
                raise serializers.ValidationError({"batch": [_("A number.")]})
            qs = qs.filter(batch_id=int(batch))
        if reference := request.query_params.get("reference"):
            qs = qs.filter(reference=reference.strip())
        if value := request.query_params.get("status"):
            qs = qs.filter(status=value)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        services.record_parcel_list_view(request=request, ids=[p.pk for p in page])
        return paginator.get_paginated_response(ParcelOut(page, many=True).data)


class ParcelDetailView(APIView):
    @extend_schema(tags=TAGS, responses={200: ParcelOut, 403: REFUSALS[403], 404: REFUSALS[404]})
    def get(self, request, pk: int):
        _require_shipping(request.user)
        parcel = _parcel(request.user, pk)
        services.record_parcel_view(request=request, parcel=parcel)
        return Response(ParcelOut(parcel).data)


class ParcelPackedView(APIView):
    @extend_schema(tags=TAGS, request=PackedIn, responses={200: ParcelOut, **REFUSALS})
    def post(self, request, pk: int):
        _require_shipping(request.user)
        parcel = _parcel(request.user, pk)
        if parcel.food_bank_id not in food_bank_ids(request.user, Role.VOLUNTEER, Role.COORDINATOR):
            raise PermissionDenied()
        data_in = PackedIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        parcel = services.mark_packed(
            parcel_id=parcel.pk,
            by=request.user,
            condition_checked=data_in.validated_data["condition_checked"],
        )
        return Response(ParcelOut(Parcel.objects.get(pk=parcel.pk)).data)


class ParcelVoidView(APIView):
    @extend_schema(
        tags=TAGS,
        request=VoidIn,
        responses={200: VoidOut, **REFUSALS},
        description=(
            "Coordinators void a parcel that has not been handed over: its stock goes back, what it "
            "was made for is approved again (`rebook`) or cancelled (`cancel`), and the batch's "
            "documents are written again without it. 409 `invalid_transition` once handed over. "
            "Voiding twice changes nothing."
        ),
    )
    def post(self, request, pk: int):
        _require_coordinator(request.user, _("Only coordinators void parcels."))
        parcel = _coordinated_parcel(request.user, pk)
        data_in = VoidIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        parcel, instructions = services.void_parcel(
            parcel_id=parcel.pk,
            by=request.user,
            reason=data_in.validated_data["reason"],
            note=data_in.validated_data["note"],
        )
        out = VoidOut(Parcel.objects.get(pk=parcel.pk), context={"carrier_instructions": instructions})
        return Response(out.data)


class ParcelDeliveredView(APIView):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: ParcelOut, **REFUSALS},
        description="Coordinators record that a handed-over parcel arrived (409 from any other status).",
    )
    def post(self, request, pk: int):
        _require_coordinator(request.user, _("Only coordinators record deliveries."))
        parcel = _coordinated_parcel(request.user, pk)
        parcel = services.mark_delivered(parcel_id=parcel.pk, by=request.user)
        return Response(ParcelOut(Parcel.objects.get(pk=parcel.pk)).data)


class ReturnedIn(serializers.Serializer):
    damaged = serializers.BooleanField(
        default=False, help_text="The box came back damaged: its packs do not go back into stock."
    )
    note = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class ParcelReturnedView(APIView):
    @extend_schema(
        tags=TAGS,
        request=ReturnedIn,
        responses={200: ParcelOut, **REFUSALS},
        description=(
            "Coordinators record that the courier brought a box back: its undamaged packs go back into "
            "stock once, its request becomes `returned` (the case worker is emailed). 409 unless the "
            "label was issued or the parcel handed over; twice changes nothing."
        ),
    )
    def post(self, request, pk: int):
        _require_coordinator(request.user, _("Only coordinators record deliveries."))
        parcel = _coordinated_parcel(request.user, pk)
        data = ReturnedIn(data=request.data)
        data.is_valid(raise_exception=True)
        parcel = deliveries.mark_returned(parcel_id=parcel.pk, by=request.user, **data.validated_data)
        return Response(ParcelOut(Parcel.objects.get(pk=parcel.pk)).data)


class BatchHandedOverView(APIView):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: HandedOverOut, **REFUSALS},
        description=(
            "Coordinators record the hand-over to the courier (or driver, or partner): every packed "
            "parcel of the batch becomes `handed_over`. Parcels not packed yet stay; twice changes "
            "nothing."
        ),
    )
    def post(self, request, pk: int):
        _require_coordinator(request.user, _("Only coordinators hand batches over."))
        batch = (
            selectors.visible_batches(request.user)
            .filter(pk=pk, food_bank_id__in=selectors.coordinated_food_bank_ids(request.user))
            .first()
        )
        if batch is None:
            raise Http404
        count = services.mark_handed_over(batch_id=batch.pk, by=request.user)
        return Response({"handed_over": count, "batch": render_batch(batch, request)})


class PantryShipmentListCreateView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="v1_pantry_shipments_list",
        parameters=[OpenApiParameter("status", str, enum=["approved", "booked", "packed", "cancelled"])],
        responses={200: paginated(PantryShipmentOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_coordinator(request.user, _("Only coordinators see pantry shipments."))
        qs = selectors.visible_pantry_shipments(request.user).order_by("-created_at", "-pk")
        if value := request.query_params.get("status"):
            qs = qs.filter(status=value)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(PantryShipmentOut(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        request=PantryShipmentIn,
        responses={201: PantryShipmentOut, 400: REFUSALS[400], 403: REFUSALS[403]},
        description=(
            "A bulk box of sets for a partner group; the next batch of a carrier account that "
            "carries pantry shipments books it as a parcel."
        ),
    )
    @honours_idempotency_key
    def post(self, request):
        _require_coordinator(request.user, _("Only coordinators create pantry shipments."))
        data_in = PantryShipmentIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = dict(data_in.validated_data)
        partner = selectors.pantry_partners(request.user).filter(pk=data.pop("partner")).first()
        if partner is None:
            raise serializers.ValidationError({"partner": [_("No such pantry group in your food bank.")]})
        pack_type = PackType.objects.filter(
            food_bank_id=partner.food_bank_id, code=data.pop("pack_type"), active=True
        ).first()
        if pack_type is None:
            raise serializers.ValidationError({"pack_type": [_("No such pack type.")]})

        def create():
            return services.create_pantry_shipment(
                food_bank_id=partner.food_bank_id,
                by=request.user,
                partner=partner,
                pack_type=pack_type,
                **data,
            )

        return idempotent_create(
            request,
            scope="shipping.pantry",
            create=create,
            render=lambda shipment: (
                PantryShipmentOut(selectors.visible_pantry_shipments(request.user).get(pk=shipment.pk)).data
            ),
            load=lambda pk: selectors.visible_pantry_shipments(request.user).get(pk=pk),
        )


class PantryShipmentDetailView(APIView):
    @extend_schema(tags=TAGS, responses={200: PantryShipmentOut, 403: REFUSALS[403], 404: REFUSALS[404]})
    def get(self, request, pk: int):
        _require_coordinator(request.user, _("Only coordinators see pantry shipments."))
        shipment = selectors.visible_pantry_shipments(request.user).filter(pk=pk).first()
        if shipment is None:
            raise Http404
        return Response(PantryShipmentOut(shipment).data)
