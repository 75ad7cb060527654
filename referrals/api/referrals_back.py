"""Referrals back to consultation services: sending, reading and their trail."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role
from foodbank.selectors import food_bank_ids
from inventory.selectors import visible_handouts

from .. import selectors, services
from ..exceptions import NoReferralSubject
from ..models import DeliveryRequest, HandoutContact, Recipient, Referral
from ..serializers import (
    ReferralCloseIn,
    ReferralContactedIn,
    ReferralIn,
    ReferralOut,
    referral_out,
)
from ._common import REFERRAL_TAGS, REFUSALS, _require_roles


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


def _subject_of(user, data: dict) -> tuple[int, str, int | None, int | None]:
    """(recipient id, source, delivery request id, handout id) for a coordinator's referral."""

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
        services.record_referral_view(request=request, referrals=page)
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
        services.record_referral_view(request=request, referrals=[referral])
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
