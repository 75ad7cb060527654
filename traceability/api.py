"""API of recalls and traceability documents (docs/traceability.md). Coordinators of the food bank
only: everyone else is 403, another food bank's lot, recall or donation 404 (or 400 on a query)."""

from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.exports import csv_response
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Organisation
from inventory.lot_models import Donor, Incident, Recall
from inventory.models import DonationReceipt, Item
from inventory.recall import report_incident, start_recall

from . import documents
from . import serializers as s
from .trace import recall_food_banks, trace, visible_lots, visible_recalls
from .views_common import audit_trace, lots_for_query, trace_data


class _FileRenderer(BaseRenderer):
    """Lets a client that asks for the file's type be served; the view returns the file itself."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if not isinstance(data, bytes) else data


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


def _coordinator(request) -> set[int]:
    ids = recall_food_banks(request.user)
    if not ids:
        raise PermissionDenied()
    return ids


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(tags=["traceability"], parameters=[s.TraceQuery], responses=s.TraceOut)
class TraceView(APIView):
    """Trace a lot, or a product over a range of label dates: remaining stock per site and lot,
    assemblies into pack lots, restocks, window handouts (counts only) and parcels with the agency to
    contact. Audited."""

    def get(self, request):
        ids = _coordinator(request)
        query = s.TraceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        food_bank_id, lot_ids = lots_for_query(request.user, ids, query.validated_data)
        found = trace(food_bank_id=food_bank_id, lot_ids=lot_ids)
        audit_trace(request, food_bank_id=food_bank_id, found=found, action="recall.trace", object_id="query")
        return Response(s.TraceOut(trace_data(found)).data)


@extend_schema(tags=["traceability"])
class RecallListCreateView(generics.ListAPIView):
    """Recalls of your food bank. POST starts one: the lots (and every pack lot made from them) are
    quarantined at once wherever they are; the answer carries the trace."""

    serializer_class = s.RecallOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Recall.objects.none()
        _coordinator(self.request)
        return visible_recalls(self.request.user).order_by("-started_at", "-pk")

    @extend_schema(
        request=s.RecallIn,
        responses={201: s.RecallOut},
    )
    @honours_idempotency_key
    def post(self, request):
        ids = _coordinator(request)
        data = s.RecallIn(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        food_bank_id, _lots = lots_for_query(request.user, ids, data)
        incident = None
        if data.get("incident"):
            incident = Incident.objects.filter(pk=data["incident"], food_bank_id=food_bank_id).first()
            if incident is None:
                raise serializers.ValidationError({"incident": [_("Unknown incident.")]})
        lot = visible_lots(request.user).filter(pk=data["lot"]).first() if data.get("lot") else None
        item = None
        if data.get("item"):
            item = Item.objects.get(food_bank_id=food_bank_id, code=data["item"])

        def create():
            return start_recall(
                food_bank=Organisation.objects.get(pk=food_bank_id),
                reason=data["reason"],
                started_by=request.user,
                lot=lot,
                item=item,
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                incident=incident,
            )

        def render(recall):
            return _recall_out(request, recall, action="recall.start")

        return idempotent_create(
            request,
            scope="traceability.recall",
            create=create,
            render=render,
            load=lambda pk: visible_recalls(request.user).get(pk=pk),
        )


def _recall_out(request, recall, *, action: str) -> dict:
    found = trace(food_bank_id=recall.food_bank_id, lot_ids=list(recall.lots.values_list("pk", flat=True)))
    audit_trace(request, food_bank_id=recall.food_bank_id, found=found, action=action, object_id=recall.pk)
    recall.trace = trace_data(found)
    return s.RecallOut(recall).data


@extend_schema(tags=["traceability"], responses=s.RecallOut)
class RecallDetailView(APIView):
    """One recall with its trace as it is now. Audited."""

    def get(self, request, pk: int):
        _coordinator(request)
        recall = get_object_or_404(visible_recalls(request.user), pk=pk)
        return Response(_recall_out(request, recall, action="recall.view"))


def _recall_trace(request, pk: int):
    _coordinator(request)
    recall = get_object_or_404(visible_recalls(request.user), pk=pk)
    found = trace(food_bank_id=recall.food_bank_id, lot_ids=list(recall.lots.values_list("pk", flat=True)))
    return recall, found


@extend_schema(
    tags=["traceability"],
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Recall report.")},
)
class RecallReportPdfView(APIView):
    """The recall report for the authorities and the donor (no recipient is named). Audited."""

    renderer_classes = [JSONRenderer, PdfRenderer]

    def get(self, request, pk: int):
        recall, found = _recall_trace(request, pk)
        audit_trace(
            request, food_bank_id=recall.food_bank_id, found=found, action="recall.report", object_id=pk
        )
        content = documents.recall_report_pdf(
            found=found, title=f"#{recall.pk} {recall.reason}", food_bank_name=recall.food_bank.name
        )
        return _pdf(content, f"recall-{recall.pk}.pdf")


@extend_schema(
    tags=["traceability"],
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="Recall report as CSV.")},
)
class RecallReportCsvView(APIView):
    """The recall report as CSV, one row per fact (no recipient is named). Audited."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    def get(self, request, pk: int):
        recall, found = _recall_trace(request, pk)
        audit_trace(
            request, food_bank_id=recall.food_bank_id, found=found, action="recall.report", object_id=pk
        )
        return csv_response(documents.recall_csv_rows(found), f"recall-{recall.pk}.csv")


@extend_schema(
    tags=["traceability"],
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="寄附受領書.")},
)
class DonationReceiptPdfView(APIView):
    """The donation receipt (寄附受領書) of one donation, for the donor (coordinators)."""

    renderer_classes = [JSONRenderer, PdfRenderer]

    def get(self, request, pk: int):
        ids = _coordinator(request)
        receipt = get_object_or_404(
            DonationReceipt.objects.filter(food_bank_id__in=ids).select_related("donor", "food_bank"), pk=pk
        )
        donor = receipt.donor
        content = documents.donation_receipt_pdf(
            food_bank_name=receipt.food_bank.name,
            donor_name=str(donor) if donor else (receipt.donor_name or _("Anonymous donor")),
            receipts=[receipt],
            period=timezone.localdate(receipt.received_at).isoformat(),
        )
        return _pdf(content, f"donation-receipt-{receipt.pk}.pdf")


class MonthQuery(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="YYYY-MM")


@extend_schema(
    tags=["traceability"],
    parameters=[MonthQuery],
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="寄附受領書.")},
)
class DonorMonthlyReceiptPdfView(APIView):
    """A donor's monthly donation receipt (寄附受領書): every donation received in the month."""

    renderer_classes = [JSONRenderer, PdfRenderer]

    def get(self, request, pk: int):
        ids = _coordinator(request)
        donor = get_object_or_404(
            Donor.objects.filter(food_bank_id__in=ids).select_related("food_bank"), pk=pk
        )
        query = MonthQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        year, month = (int(x) for x in query.validated_data["month"].split("-"))
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        receipts = list(
            DonationReceipt.objects.filter(
                donor=donor, received_at__date__gte=first, received_at__date__lt=after
            )
            .prefetch_related("lines__item")
            .order_by("received_at", "pk")
        )
        content = documents.donation_receipt_pdf(
            food_bank_name=donor.food_bank.name,
            donor_name=str(donor),
            receipts=receipts,
            period=f"{year}年{month}月",
        )
        return _pdf(content, f"donation-receipt-{donor.pk}-{year}{month:02d}.pdf")


@extend_schema(tags=["traceability"])
class IncidentListCreateView(generics.ListAPIView):
    """The incident log (suspected food poisoning, damage, foreign matter …) linked to lots; a recall
    names the incident that started it (``incident`` on POST /api/v1/recalls/). Coordinators."""

    serializer_class = s.IncidentOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        ids = _coordinator(self.request)
        return (
            Incident.objects.filter(food_bank_id__in=ids).prefetch_related("lots", "recalls").order_by("-pk")
        )

    @extend_schema(
        request=s.IncidentIn,
        responses={201: s.IncidentOut},
    )
    @honours_idempotency_key
    def post(self, request):
        ids = _coordinator(request)
        data = s.IncidentIn(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        lots = list(visible_lots(request.user).filter(pk__in=data["lots"]))
        if len(lots) != len(set(data["lots"])):
            raise serializers.ValidationError({"lots": [_("Unknown lot.")]})
        food_bank_id = lots[0].food_bank_id if lots else _one(ids)

        def create():
            return report_incident(
                food_bank=Organisation.objects.get(pk=food_bank_id),
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                lots=lots,
                reported_by=request.user,
            )

        return idempotent_create(
            request,
            scope="traceability.incident",
            create=create,
            render=lambda incident: s.IncidentOut(incident).data,
            load=lambda pk: Incident.objects.get(pk=pk),
        )


def _one(ids: set[int]) -> int:
    if len(ids) > 1:
        raise serializers.ValidationError({"lots": [_("Name a lot: you coordinate several food banks.")]})
    return next(iter(ids))
