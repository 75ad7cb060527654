"""The referrals API (docs/spec.md §4.1): delivery requests, triage, Navi intake, consent, enrolments.

Thin views: check the role (403), find the object through ``referrals.selectors`` (404 when it is
not visible), validate input, call one service, answer with the output serializer. Views of
personal data are recorded with ``foodbank.audit.record``.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import audit
from foodbank.api.schema import paginated
from foodbank.authentication import ApiTokenAuthentication
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import AuditEvent, Organisation, Role
from foodbank.selectors import food_bank_ids, has_role, memberships_for, site_ids
from foodbank.throttling import ClientScopedRateThrottle

from . import corrections, selectors, services
from .exceptions import NoReferralSubject
from .models import ConsentRecord, DeliveryRequest, Enrolment, Feedback, HandoutContact, Recipient, Referral
from .referral_views import contact_recipient
from .serializers import (
    CancelIn,
    ConsentOut,
    ConsentRecordIn,
    DecisionIn,
    DeclineIn,
    DeliveryRequestCorrectionIn,
    DeliveryRequestIn,
    DeliveryRequestOut,
    DeliveryRequestSummaryOut,
    EndEnrolmentIn,
    EnrolmentIn,
    EnrolmentOut,
    FeedbackIn,
    FeedbackOut,
    HandoutContactIn,
    HandoutContactOut,
    NaviApplicationIn,
    ReferralCloseIn,
    ReferralContactedIn,
    ReferralIn,
    ReferralOut,
    WithdrawIn,
    agency_consent_inputs,
    correction_changes,
    household_input,
    navi_consent_inputs,
    needs_input,
    recipient_input,
    referral_out,
)

TAGS = ["delivery requests"]
REFUSALS = {
    400: OpenApiResponse(description="Validation errors per field"),
    403: OpenApiResponse(description="Your role may not do this"),
    404: OpenApiResponse(description="Not found, or not visible to you"),
    409: OpenApiResponse(description="`invalid_transition`, `consent_required` …"),
}


def _require_roles(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(_("Your role may not do this."))


def _visible_request(user, pk: int) -> DeliveryRequest:
    try:
        return selectors.visible_requests(user).get(pk=pk)
    except DeliveryRequest.DoesNotExist:
        raise Http404 from None


def _record_view(request, obj: DeliveryRequest) -> None:
    audit.record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        object_type="delivery_request",
        object_id=obj.pk,
        subject_id=obj.recipient_id,
        food_bank_id=obj.food_bank_id,
        request=request,
    )


def _shown(request, obj: DeliveryRequest) -> Response:
    """The whole request as the answer to an action (approve, decline, cancel …): it shows the
    person's data, so it is recorded as a view of it (docs/trust.md)."""
    _record_view(request, obj)
    return Response(_render(obj))


def _render(obj: DeliveryRequest) -> dict:
    """The request as GET shows it, read back after a change (its row lock is released)."""
    return DeliveryRequestOut(selectors.request_with_history(obj.pk)).data


def _render_created(obj: DeliveryRequest) -> dict:
    """A request just created by this process: its recipient, agency and filer are in hand, only
    the history is read (two queries)."""
    return DeliveryRequestOut(selectors.history(obj, just_created=True)).data


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
        audit.record_shown(
            actor=request.user,
            request=request,
            object_type="delivery_request",
            object_id="list",
            subject_ids=[r.recipient_id for r in page],
            detail={"ids": [r.pk for r in page]},
        )
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
        _record_view(request, detail.request)
        response = Response(DeliveryRequestOut(detail).data)
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
            _record_view(request, corrected)
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


class NaviIntakeView(APIView):
    """Self-referral applications from the Support Information Navi backend (integration token
    only). Creates a delivery request with source ``navi``, triaged like the agencies'."""

    authentication_classes = [ApiTokenAuthentication]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "navi_intake"

    @extend_schema(
        tags=["intake"],
        request=NaviApplicationIn,
        responses={
            201: DeliveryRequestOut,
            400: REFUSALS[400],
            401: OpenApiResponse(description="No or wrong token"),
            403: REFUSALS[403],
            409: OpenApiResponse(description="`duplicate_application`"),
        },
    )
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.INTEGRATION)
        membership = next(m for m in memberships_for(request.user) if m.role == Role.INTEGRATION)

        def create():
            data_in = NaviApplicationIn(data=request.data)
            data_in.is_valid(raise_exception=True)
            data = data_in.validated_data
            answers = data["answers"]
            return services.receive_navi_application(
                by=request.user,
                food_bank=membership.organisation,
                application_id=data["application_id"].strip(),
                recipient=recipient_input(data["recipient"]),
                household=household_input(data["household"]),
                needs=needs_input(data),
                answers=services.NaviAnswers(**answers),
                consents=navi_consent_inputs(data["consent"], answers),
            )

        return idempotent_create(
            request,
            scope="referrals.navi_intake",
            create=create,
            # The integration sees its own submission's id and status, not the data read back.
            render=lambda obj: {"id": obj.pk, "reference": obj.reference, "status": obj.status},
            load=lambda pk: DeliveryRequest.objects.only("pk", "status").get(pk=pk),
        )


# --- Consent --------------------------------------------------------------------------------------


class ConsentListCreateView(APIView):
    """Consent records: the food bank's (coordinator), the agency's (case worker)."""

    @extend_schema(
        tags=["consent"],
        parameters=[OpenApiParameter("recipient", int)],
        operation_id="v1_consents_list",
        responses={200: paginated(ConsentOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        qs = selectors.visible_consents(request.user).order_by("-decided_at", "-pk")
        if recipient := request.query_params.get("recipient"):
            if not (recipient.isascii() and recipient.isdigit()):
                raise serializers.ValidationError({"recipient": [_("A number.")]})
            qs = qs.filter(recipient_id=int(recipient))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ConsentOut(page, many=True).data)

    @extend_schema(tags=["consent"], request=ConsentRecordIn, responses={201: ConsentOut, **REFUSALS})
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        data_in = ConsentRecordIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        # The person must be one the user can see through a request.
        seen = selectors.visible_requests(request.user).filter(recipient_id=data["recipient"])
        if data["delivery_request"]:
            seen = seen.filter(pk=data["delivery_request"])
        first = seen.order_by("pk").first()
        if first is None:
            raise Http404
        organisation_id = _acting_organisation(request.user, first)
        return idempotent_create(
            request,
            scope="referrals.consent",
            create=lambda: services.record_consent(
                recipient_id=data["recipient"],
                request_id=data["delivery_request"],
                by=request.user,
                organisation_id=organisation_id,
                data=services.ConsentInput(
                    purpose=data["purpose"],
                    decision=data["decision"],
                    basis=data["basis"],
                    statutory_basis=data["statutory_basis"].strip(),
                    method=data["method"],
                    witness_name=data["witness_name"].strip(),
                    wording_version=data["wording_version"],
                    by_guardian=data["by_guardian"],
                    guardian_name=data["guardian_name"].strip(),
                    decided_at=data["decided_at"],
                ),
            ),
            render=lambda record: ConsentOut(record).data,
            load=lambda pk: ConsentRecord.objects.select_related("withdrawal").get(pk=pk),
        )


def _acting_organisation(user, obj) -> int:
    """The organisation the user acts for on ``obj``: the food bank for its coordinators, else
    the user's agency that is involved."""
    if obj.food_bank_id in food_bank_ids(user, Role.COORDINATOR):
        return obj.food_bank_id
    agencies = {a.pk for a in selectors.case_worker_agencies(user)}
    for candidate in (getattr(obj, "agency_id", None), getattr(obj, "recorded_by_organisation_id", None)):
        if candidate in agencies:
            return candidate
    raise PermissionDenied(_("Your role may not do this."))


class ConsentDetailView(APIView):
    @extend_schema(tags=["consent"], responses={200: ConsentOut, 403: REFUSALS[403], 404: REFUSALS[404]})
    def get(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        try:
            consent = selectors.visible_consents(request.user).get(pk=pk)
        except ConsentRecord.DoesNotExist:
            raise Http404 from None
        return Response(ConsentOut(consent).data)


class ConsentWithdrawView(APIView):
    """Record that the person withdrew this consent (coordinator, or the recording agency).
    Withdrawing the consent to share cancels their requests that are not packed yet."""

    @extend_schema(tags=["consent"], request=WithdrawIn, responses={200: ConsentOut, **REFUSALS})
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        try:
            consent = selectors.visible_consents(request.user).get(pk=pk)
        except ConsentRecord.DoesNotExist:
            raise Http404 from None
        if not selectors.may_withdraw(request.user, consent):
            raise PermissionDenied(_("Only the recording agency or a coordinator may record a withdrawal."))
        data = WithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        organisation_id = (
            consent.food_bank_id
            if consent.food_bank_id in food_bank_ids(request.user, Role.COORDINATOR)
            else consent.recorded_by_organisation_id
        )
        withdrawn = services.withdraw_consent(
            consent_id=consent.pk,
            by=request.user,
            organisation_id=organisation_id,
            withdrawn_at=data.validated_data["withdrawn_at"],
            note=data.validated_data["note"].strip(),
        )
        return Response(ConsentOut(withdrawn).data)


# --- Monthly programme ----------------------------------------------------------------------------


class EnrolmentListCreateView(APIView):
    """Single-parent households enrolled in the monthly parcel."""

    @extend_schema(
        tags=["monthly programme"],
        operation_id="v1_enrolments_list",
        responses={200: paginated(EnrolmentOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        qs = selectors.visible_enrolments(request.user).order_by("-created_at", "-pk")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EnrolmentOut(page, many=True).data)

    @extend_schema(tags=["monthly programme"], request=EnrolmentIn, responses={201: EnrolmentOut, **REFUSALS})
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        data = EnrolmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        obj = _visible_request(request.user, data.validated_data["delivery_request"])
        if not selectors.may_cancel(request.user, obj):
            raise PermissionDenied(_("Only the filing agency or a coordinator may enrol this household."))
        return idempotent_create(
            request,
            scope="referrals.enrolment",
            create=lambda: services.enrol_in_monthly_programme(
                request_id=obj.pk, by=request.user, starts_on=data.validated_data["starts_on"]
            ),
            render=lambda enrolment: EnrolmentOut(enrolment).data,
            load=lambda pk: Enrolment.objects.get(pk=pk),
        )


class EndEnrolmentView(APIView):
    @extend_schema(
        tags=["monthly programme"], request=EndEnrolmentIn, responses={200: EnrolmentOut, **REFUSALS}
    )
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        try:
            enrolment = selectors.visible_enrolments(request.user).get(pk=pk)
        except Enrolment.DoesNotExist:
            raise Http404 from None
        data = EndEnrolmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = services.end_enrolment(
            enrolment_id=enrolment.pk, by=request.user, last_month=data.validated_data["last_month"]
        )
        return Response(EnrolmentOut(enrolment).data)


# --- Referrals back to consultation services ------------------------------------------------------

REFERRAL_TAGS = ["referrals"]


def _visible_referral(user, pk: int) -> Referral:
    if not selectors.may_use_referral_inbox(user):
        raise PermissionDenied(_("Your role may not see referrals."))
    try:
        return selectors.visible_referrals(user).get(pk=pk)
    except Referral.DoesNotExist:
        raise Http404 from None


def _render_referral(pk: int) -> dict:
    referral = Referral.objects.select_related(
        "recipient", "target_site", "target_organisation", "delivery_request"
    ).get(pk=pk)
    return referral_out(referral, selectors.referral_events([pk])[pk])


def _record_referral_view(request, referrals: list[Referral]) -> None:
    shown = [r for r in referrals if not r.withdrawn]
    if not shown:
        return
    audit.record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        object_type="referral",
        object_id=shown[0].pk if len(shown) == 1 else "list",
        subject_id=shown[0].recipient_id if len(shown) == 1 else None,
        request=request,
        detail={"ids": [r.pk for r in shown]},
    )


def _subject_of(user, data: dict) -> tuple[int, str, int | None, int | None]:
    """(recipient id, source, delivery request id, handout id) for a coordinator's referral."""
    from inventory.selectors import visible_handouts

    coordinator_of = food_bank_ids(user, Role.COORDINATOR)
    if "delivery_request" in data:
        request = (
            selectors.visible_requests(user)
            .filter(food_bank_id__in=coordinator_of, pk=data["delivery_request"])
            .first()
        )
        if request is None:
            raise serializers.ValidationError({"delivery_request": [_("No such delivery request.")]})
        source = (
            Referral.Source.NAVI
            if request.source == DeliveryRequest.Source.NAVI
            else Referral.Source.DELIVERY_REQUEST
        )
        return request.recipient_id, source, request.pk, None
    if "handout" in data:
        handout = visible_handouts(user).filter(food_bank_id__in=coordinator_of, pk=data["handout"]).first()
        if handout is None:
            raise serializers.ValidationError({"handout": [_("No such handout.")]})
        contact = HandoutContact.objects.filter(handout_id=handout.pk).first()
        if contact is None:
            raise NoReferralSubject()
        return contact.recipient_id, Referral.Source.HANDOUT, None, handout.pk
    person = Recipient.objects.filter(food_bank_id__in=coordinator_of, pk=data["recipient"]).first()
    if person is None:
        raise serializers.ValidationError({"recipient": [_("No such person.")]})
    return person.pk, Referral.Source.DIRECT, None, None


def _target_of(user, data: dict, food_bank_id: int):
    if "target" not in data:
        return None
    sites, organisations = selectors.referral_targets(food_bank_id)
    queryset = sites if data["target"]["kind"] == "site" else organisations
    target = queryset.filter(pk=data["target"]["id"]).first()
    if target is None:
        raise serializers.ValidationError(
            {"target": [_("Choose an active consultation window or partner agency of this food bank.")]}
        )
    return target


class ReferralListCreateView(APIView):
    """The referral inbox (staff of the target window or agency; coordinators see all of their food
    bank's) and referring a consenting person (coordinator)."""

    @extend_schema(
        tags=REFERRAL_TAGS,
        parameters=[OpenApiParameter("status", str, enum=Referral.Status.values)],
        operation_id="v1_referrals_list",
        responses={200: paginated(ReferralOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        if not selectors.may_use_referral_inbox(request.user):
            raise PermissionDenied(_("Your role may not see referrals."))
        qs = selectors.visible_referrals(request.user).order_by("-sent_at", "-pk")
        if value := request.query_params.get("status"):
            qs = qs.filter(status=value)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        trails = selectors.referral_events([r.pk for r in page])
        _record_referral_view(request, page)
        return paginator.get_paginated_response([referral_out(r, trails[r.pk]) for r in page])

    @extend_schema(
        tags=REFERRAL_TAGS,
        request=ReferralIn,
        responses={201: ReferralOut, **REFUSALS, 422: OpenApiResponse(description="Key reused")},
    )
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR)

        def create():
            data_in = ReferralIn(data=request.data)
            data_in.is_valid(raise_exception=True)
            data = data_in.validated_data
            recipient_id, source, request_id, handout_id = _subject_of(request.user, data)
            food_bank_id = Recipient.objects.values_list("food_bank_id", flat=True).get(pk=recipient_id)
            return services.create_referral(
                by=request.user,
                recipient_id=recipient_id,
                source=source,
                delivery_request_id=request_id,
                handout_id=handout_id,
                target=_target_of(request.user, data, food_bank_id),
                needs=data["needs"].strip(),
                request=request,
            )

        return idempotent_create(
            request,
            scope="referrals.referral",
            create=create,
            render=lambda obj: _render_referral(obj.pk),
            load=lambda pk: Referral.objects.get(pk=pk),
        )


class ReferralDetailView(APIView):
    @extend_schema(tags=REFERRAL_TAGS, responses={200: ReferralOut, 403: REFUSALS[403], 404: REFUSALS[404]})
    def get(self, request, pk: int):
        referral = _visible_referral(request.user, pk)
        _record_referral_view(request, [referral])
        return Response(referral_out(referral, selectors.referral_events([pk])[pk]))


class ReferralAcknowledgeView(APIView):
    """The target has seen the referral (no escalation after this)."""

    @extend_schema(tags=REFERRAL_TAGS, request=None, responses={200: ReferralOut, **REFUSALS})
    def post(self, request, pk: int):
        referral = _visible_referral(request.user, pk)
        services.acknowledge_referral(referral_id=referral.pk, by=request.user)
        return Response(_render_referral(referral.pk))


class ReferralContactedView(APIView):
    """The target reached the person: the date and the outcome."""

    @extend_schema(tags=REFERRAL_TAGS, request=ReferralContactedIn, responses={200: ReferralOut, **REFUSALS})
    def post(self, request, pk: int):
        referral = _visible_referral(request.user, pk)
        data = ReferralContactedIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_referral_contact(
            referral_id=referral.pk,
            by=request.user,
            contacted_on=data.validated_data["date"],
            outcome=data.validated_data["outcome"].strip(),
        )
        return Response(_render_referral(referral.pk))


class ReferralCloseView(APIView):
    """Close the referral with its outcome."""

    @extend_schema(tags=REFERRAL_TAGS, request=ReferralCloseIn, responses={200: ReferralOut, **REFUSALS})
    def post(self, request, pk: int):
        referral = _visible_referral(request.user, pk)
        data = ReferralCloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.close_referral(
            referral_id=referral.pk, by=request.user, outcome=data.validated_data["outcome"].strip()
        )
        return Response(_render_referral(referral.pk))


# --- Feedback from recipients ---------------------------------------------------------------------


class FeedbackListCreateView(APIView):
    """Recipients' messages (coordinators only: private ones included). Only ``may_be_published``
    messages ever leave the coordinator (exports, reports)."""

    @extend_schema(tags=REFERRAL_TAGS, responses={200: paginated(FeedbackOut), 403: REFUSALS[403]})
    def get(self, request):
        _require_roles(request.user, Role.COORDINATOR)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.visible_feedback(request.user), request, view=self)
        return paginator.get_paginated_response(FeedbackOut(page, many=True).data)

    @extend_schema(tags=REFERRAL_TAGS, request=FeedbackIn, responses={201: FeedbackOut, **REFUSALS})
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR)
        data_in = FeedbackIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        food_banks = food_bank_ids(request.user, Role.COORDINATOR)
        food_bank_id = data["food_bank"]
        if food_bank_id is None:
            if len(food_banks) > 1:
                raise serializers.ValidationError({"food_bank": [_("Say which food bank.")]})
            food_bank_id = next(iter(food_banks))
        elif food_bank_id not in food_banks:
            raise serializers.ValidationError({"food_bank": [_("Not a food bank you coordinate.")]})
        recipient_id = data["recipient"]
        if (
            recipient_id is not None
            and not Recipient.objects.filter(pk=recipient_id, food_bank_id=food_bank_id).exists()
        ):
            raise serializers.ValidationError({"recipient": [_("No such person.")]})
        return idempotent_create(
            request,
            scope="referrals.feedback",
            create=lambda: services.record_feedback(
                food_bank_id=food_bank_id,
                by=request.user,
                message=data["message"].strip(),
                may_be_published=data["may_be_published"],
                received_on=data.get("received_on") or timezone.localdate(),
                recipient_id=recipient_id,
            ),
            render=lambda feedback: FeedbackOut(feedback).data,
            load=lambda pk: Feedback.objects.get(pk=pk),
        )


# --- The contact behind a window handout ----------------------------------------------------------


class HandoutReferralContactView(APIView):
    """At a handout where the person ticked ``referral_consent``: their name, contact and what they
    agree may be passed on, recorded by window staff of that window. The coordinator then refers
    them (``POST referrals/`` with ``{handout}``)."""

    @extend_schema(
        tags=REFERRAL_TAGS,
        request=HandoutContactIn,
        responses={201: HandoutContactOut, **REFUSALS},
        description=(
            "Window staff of the handout's window only: 403 for other roles, 404 for a handout of "
            "another window. 409 `consent_required` when the handout carries no referral consent "
            "(or was voided), 409 `contact_already_recorded` the second time. Nothing is written "
            "on a refusal."
        ),
    )
    def post(self, request, pk: int):
        from inventory.models import Handout
        from inventory.selectors import visible_handouts

        _require_roles(request.user, Role.WINDOW_STAFF)
        try:
            handout = (
                visible_handouts(request.user)
                .filter(site_id__in=site_ids(request.user, Role.WINDOW_STAFF))
                .select_related("site")
                .get(pk=pk)
            )
        except Handout.DoesNotExist:
            raise Http404 from None
        data_in = HandoutContactIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        contact = services.record_handout_contact(
            handout_id=handout.pk,
            by=request.user,
            recipient=contact_recipient(
                site=handout.site,
                name=data["name"].strip(),
                name_kana=data["name_kana"].strip(),
                is_pseudonym=data["is_pseudonym"],
                phone=data["phone"],
            ),
            household_type=handout.household_type,
            household_size=handout.household_size,
            method=data["method"],
            witness_name=data["witness_name"].strip(),
            data_categories=data["data_categories"],
        )
        consent = ConsentRecord.objects.filter(recipient_id=contact.recipient_id).get()
        return Response(
            HandoutContactOut(
                {
                    "id": contact.pk,
                    "handout": handout.pk,
                    "recipient": contact.recipient_id,
                    "consent": {
                        "id": consent.pk,
                        "purpose": consent.purpose,
                        "data_categories": consent.data_categories,
                        "method": consent.method,
                    },
                    "created_at": contact.created_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
