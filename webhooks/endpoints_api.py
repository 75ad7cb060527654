"""Webhook endpoints of an agency, for its systems (token) and its people (docs/webhooks.md).

Case workers manage their agency's endpoints; coordinators their food bank's. Thin views: role
(403), object in scope (404), input, one service, output.
"""

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

from . import selectors, services
from .models import WebhookDelivery, WebhookEndpoint
from .serializers import (
    DeliveryOut,
    EndpointChangeIn,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    SecretOut,
)

TAGS = ["webhooks"]
REFUSALS = {
    400: OpenApiResponse(description="Validation errors per field, `invalid_webhook_endpoint`"),
    403: OpenApiResponse(description="Your role may not manage webhooks"),
    404: OpenApiResponse(description="Not found, or not yours"),
}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False, description="Safe retries."
)


def _require(user) -> None:
    if not selectors.may_use_webhooks(user):
        raise PermissionDenied(_("Your role may not manage webhooks."))


def _endpoint(user, pk: int) -> WebhookEndpoint:
    _require(user)
    try:
        return selectors.visible_endpoints(user).get(pk=pk)
    except WebhookEndpoint.DoesNotExist:
        raise Http404 from None


def _agency(user, requested: int | None):
    agencies = list(selectors.manageable_agencies(user))
    if requested is not None:
        for agency in agencies:
            if agency.pk == requested:
                return agency
        raise serializers.ValidationError({"agency": [_("You do not manage webhooks of this agency.")]})
    if len(agencies) != 1:
        raise serializers.ValidationError({"agency": [_("Say which agency the endpoint is for.")]})
    return agencies[0]


class EndpointListCreateView(APIView):
    @extend_schema(
        tags=TAGS, operation_id="v1_webhook_endpoints_list", responses={200: EndpointOut(many=True)}
    )
    def get(self, request):
        _require(request.user)
        return Response(EndpointOut(selectors.visible_endpoints(request.user), many=True).data)

    @extend_schema(
        tags=TAGS,
        parameters=[IDEMPOTENCY_HEADER],
        request=EndpointIn,
        responses={201: EndpointCreatedOut, **REFUSALS},
    )
    @honours_idempotency_key
    def post(self, request):
        _require(request.user)

        def create():
            data_in = EndpointIn(data=request.data)
            data_in.is_valid(raise_exception=True)
            data = data_in.validated_data
            made = services.register_endpoint(
                agency=_agency(request.user, data["agency"]),
                url=data["url"],
                events=data["events"],
                description=data["description"],
                by=request.user,
            )
            made.endpoint.shown_secret = made.secret
            return made.endpoint

        return idempotent_create(
            request,
            scope="webhooks.endpoint",
            create=create,
            render=lambda e: {**EndpointOut(e).data, "secret": getattr(e, "shown_secret", None)},
            load=lambda pk: WebhookEndpoint.objects.get(pk=pk),
        )


class EndpointDetailView(APIView):
    @extend_schema(tags=TAGS, responses={200: EndpointOut, **REFUSALS})
    def get(self, request, pk: int):
        return Response(EndpointOut(_endpoint(request.user, pk)).data)

    @extend_schema(tags=TAGS, request=EndpointChangeIn, responses={200: EndpointOut, **REFUSALS})
    def patch(self, request, pk: int):
        endpoint = _endpoint(request.user, pk)
        data_in = EndpointChangeIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        services.update_endpoint(endpoint_id=endpoint.pk, **data_in.validated_data)
        return Response(EndpointOut(_endpoint(request.user, pk)).data)

    @extend_schema(tags=TAGS, responses={204: None, **REFUSALS}, description="Revoke: nothing more is sent.")
    def delete(self, request, pk: int):
        services.revoke_endpoint(endpoint_id=_endpoint(request.user, pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotateSecretView(APIView):
    @extend_schema(tags=TAGS, request=None, responses={200: SecretOut, **REFUSALS})
    def post(self, request, pk: int):
        endpoint = _endpoint(request.user, pk)
        if not endpoint.active:
            raise Http404
        return Response({"secret": services.rotate_secret(endpoint_id=endpoint.pk)})


class DeliveryListView(APIView):
    @extend_schema(tags=TAGS, responses={200: paginated(DeliveryOut), **REFUSALS})
    def get(self, request, pk: int):
        endpoint = _endpoint(request.user, pk)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.deliveries_of(endpoint), request, view=self)
        return paginator.get_paginated_response(DeliveryOut(page, many=True).data)


class ResendView(APIView):
    @extend_schema(tags=TAGS, request=None, responses={202: DeliveryOut, **REFUSALS})
    def post(self, request, pk: int, delivery_pk: int):
        endpoint = _endpoint(request.user, pk)
        if not endpoint.active:
            raise Http404
        try:
            delivery = selectors.deliveries_of(endpoint).get(pk=delivery_pk)
        except WebhookDelivery.DoesNotExist:
            raise Http404 from None
        services.resend_delivery(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)
