"""Delivery requests: filing, reading, correcting and triage."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Organisation, Role

from .. import corrections, selectors, services
from ..models import DeliveryRequest
from ..serializers import (
    CancelIn,
    DecisionIn,
    DeclineIn,
    DeliveryRequestCorrectionIn,
    DeliveryRequestIn,
    DeliveryRequestOut,
    DeliveryRequestSummaryOut,
    agency_consent_inputs,
    correction_changes,
    household_input,
    needs_input,
    plain_delivery_request_input,
    recipient_input,
    render_request,
)
from ._common import REFUSALS, TAGS, _require_roles, _visible_request


def _shown(request, obj: DeliveryRequest) -> Response:
    """The whole request as the answer to an action (approve, decline, cancel …): it shows the
    person's data, so it is recorded as a view of it (docs/trust.md)."""
    services.record_request_view(request=request, delivery_request=obj)
    return Response(_render(obj))


# The answers below are DeliveryRequestOut's, built by its plain function (render_request) without
# instantiating serializers; the serializer documents them in the schema (docs/benchmarks.md).


def _render(obj: DeliveryRequest) -> dict:
    """The request as GET shows it, read back after a change (its row lock is released)."""
    return render_request(selectors.request_with_history(obj.pk))


def _render_created(obj: DeliveryRequest) -> dict:
    """A request just created: its recipient, agency and filer are in hand. Filed by this process for
    a new person, its history is too (no query); replayed for a retried key (``load``), its events
    and consents are read in one round trip."""
    return render_request(selectors.history(obj, just_created=True))


def _agency_for(user, requested: int | None) -> Organisation:
    agencies = selectors.case_worker_agencies(user)
    if requested is not None:
        for agency in agencies:
            if agency.pk == requested:
                return agency
        raise serializers.ValidationError({"agency": [_("You do not file requests for this agency.")]})
    if len(agencies) > 1:
        raise serializers.ValidationError({"agency": [_("You work for several agencies: say which one.")]})
    return agencies[0]


class DeliveryRequestListCreateView(APIView):
    """Home-delivery requests: case workers file them and follow their own agency's; coordinators
    see their food bank's."""

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=DeliveryRequest.Status.values),
            OpenApiParameter("source", str, enum=DeliveryRequest.Source.values),
        ],
        operation_id="v1_delivery_requests_list",
        responses={200: paginated(DeliveryRequestSummaryOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        if not selectors.may_read_requests(request.user):
            raise PermissionDenied(_("Your role may not see delivery requests."))
        qs = selectors.visible_requests(request.user).order_by("-submitted_at", "-pk")
        for name in ("status", "source"):
            if value := request.query_params.get(name):
                qs = qs.filter(**{name: value})
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        services.record_request_list_view(request=request, requests=page)
        return paginator.get_paginated_response(DeliveryRequestSummaryOut(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        request=DeliveryRequestIn,
        responses={201: DeliveryRequestOut, **REFUSALS, 422: OpenApiResponse(description="Key reused")},
    )
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.CASE_WORKER)

        def create():
            # A plainly well-formed body skips DRF's field machinery (same result, tested); anything
            # else, and every error, is DeliveryRequestIn's.
            data = plain_delivery_request_input(request.data)
            if data is None:
                data_in = DeliveryRequestIn(data=request.data)
                data_in.is_valid(raise_exception=True)
                data = data_in.validated_data
            return services.file_delivery_request(
                filed_by=request.user,
                agency=_agency_for(request.user, data["agency"]),
                recipient=recipient_input(data["recipient"]),
                household=household_input(data["household"]),
                needs=needs_input(data),
                consents=agency_consent_inputs(data["consent"]),
                client_reference=data["client_reference"].strip(),
            )

        return idempotent_create(
            request,
            scope="referrals.delivery_request",
            create=create,
            render=_render_created,
            load=lambda pk: DeliveryRequest.objects.select_related("recipient", "agency", "filed_by").get(
                pk=pk
            ),
        )


IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The `ETag` of the request as you read it (GET answers it): a request changed since "
    "is refused with 412 `precondition_failed` and nothing is written. Without it the correction "
    "applies to the request as it is now.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The request's version: send it as `If-Match` with a correction.",
)


class DeliveryRequestDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        parameters=[ETAG_HEADER],
        responses={
            200: OpenApiResponse(
                DeliveryRequestOut,
                description="The request; the `ETag` header carries its version (for `If-Match`).",
            ),
            403: REFUSALS[403],
            404: REFUSALS[404],
        },
    )
    def get(self, request, pk: int):
        if not selectors.may_read_requests(request.user):
            raise PermissionDenied(_("Your role may not see delivery requests."))
        try:
            detail = selectors.request_detail(request.user, pk)
        except DeliveryRequest.DoesNotExist:
            raise Http404 from None
        services.record_request_view(request=request, delivery_request=detail.request)
        response = Response(render_request(detail))
        response["ETag"] = corrections.version_tag(detail.request, events=detail.events)
        return response

    @extend_schema(
        tags=TAGS,
        operation_id="v1_delivery_requests_correct",
        summary="Correct a filed request",
        description=(
            "Correct the address, phone, needs (days of food, cooking, allergies, dietary needs, "
            "extras), delivery date or time slot of a filed request (docs/referrals.md). Only the "
            "fields given change; `address` and `extras` are replaced whole. The filing agency's "
            "case workers may correct until the request is approved, the food bank's coordinators "
            "until its parcel is packed; after that 409 `not_correctable` and nothing is written. "
            "Other roles 403; a request you do not see 404. Each correction is an event on the "
            "request naming the corrected fields (never their values); a scheduled request's parcel "
            "is re-labelled and its batch's documents written again. Values equal to the current "
            "ones change nothing. `If-Match` guards against overwriting a change made since you "
            "read the request (412 `precondition_failed`); `Idempotency-Key` replays the first "
            "answer of a retried correction."
        ),
        parameters=[IF_MATCH_HEADER, ETAG_HEADER],
        request=DeliveryRequestCorrectionIn,
        responses={
            200: OpenApiResponse(
                DeliveryRequestOut,
                description="The corrected request; the `ETag` header carries its new version.",
            ),
            400: REFUSALS[400],
            403: REFUSALS[403],
            404: REFUSALS[404],
            409: OpenApiResponse(
                description="`not_correctable`: approved (agency) or packed (coordinator) already; "
                "`idempotency_key_in_use`"
            ),
            412: OpenApiResponse(description="`precondition_failed`: changed since you read it (`If-Match`)"),
            422: OpenApiResponse(description="Key reused"),
        },
    )
    @honours_idempotency_key
    def patch(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        obj = _visible_request(request.user, pk)
        allowed = corrections.correctable_statuses(
            coordinator=selectors.is_coordinator_of(request.user, obj),
            filing_agency=selectors.is_filing_agency(request.user, obj),
        )
        if not allowed:
            raise PermissionDenied(_("Only the filing agency or a coordinator may correct this request."))

        def correct():
            data_in = DeliveryRequestCorrectionIn(data=request.data)
            data_in.is_valid(raise_exception=True)
            return corrections.correct_request(
                request_id=obj.pk,
                by=request.user,
                changes=correction_changes(data_in.validated_data),
                allowed=allowed,
                if_match=request.headers.get("If-Match"),
                request=request,
            ).request

        def render(corrected: DeliveryRequest) -> dict:
            services.record_request_view(request=request, delivery_request=corrected)
            return _render(corrected)

        response = idempotent_create(
            request,
            scope="referrals.delivery_request_correction",
            create=correct,
            render=render,
            load=lambda pk: DeliveryRequest.objects.get(pk=pk),
            status_code=status.HTTP_200_OK,
        )
        response["ETag"] = corrections.version_tag(
            DeliveryRequest.objects.select_related("recipient").get(pk=obj.pk)
        )
        return response


class ApproveView(APIView):
    """Coordinator triage: approve a submitted request (it joins the next dispatch batch)."""

    @extend_schema(tags=TAGS, request=DecisionIn, responses={200: DeliveryRequestOut, **REFUSALS})
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR)
        obj = _visible_request(request.user, pk)
        if not selectors.is_coordinator_of(request.user, obj):
            raise Http404
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.approve_request(request_id=obj.pk, by=request.user, note=data.validated_data["note"])
        return _shown(request, obj)


class DeclineView(APIView):
    """Coordinator: decline a request until it is packed, with a reason the case worker is sent (a
    scheduled request's parcel leaves its batch)."""

    @extend_schema(tags=TAGS, request=DeclineIn, responses={200: DeliveryRequestOut, **REFUSALS})
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR)
        obj = _visible_request(request.user, pk)
        if not selectors.is_coordinator_of(request.user, obj):
            raise Http404
        data = DeclineIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.decline_request(
            request_id=obj.pk, by=request.user, reason=data.validated_data["reason"].strip()
        )
        return _shown(request, obj)


class CancelView(APIView):
    """The filing agency's case worker or a coordinator cancels a request until it is packed."""

    @extend_schema(tags=TAGS, request=CancelIn, responses={200: DeliveryRequestOut, **REFUSALS})
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        obj = _visible_request(request.user, pk)
        if not selectors.may_cancel(request.user, obj):
            raise PermissionDenied(_("Only the filing agency or a coordinator may cancel this request."))
        data = CancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_request(
            request_id=obj.pk, by=request.user, reason=data.validated_data["reason"].strip()
        )
        return _shown(request, obj)
