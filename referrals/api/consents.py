"""Consents: recording decisions, reading them, withdrawing them."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role
from foodbank.selectors import food_bank_ids

from .. import selectors, services
from ..models import ConsentRecord
from ..serializers import (
    ConsentOut,
    ConsentRecordIn,
    WithdrawIn,
)
from ._common import REFUSALS, _require_roles


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
