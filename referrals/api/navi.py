"""Navi intake: self-referrals posted by the Support Information Navi."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from foodbank.authentication import ApiTokenAuthentication
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role
from foodbank.selectors import memberships_for
from foodbank.throttling import ClientScopedRateThrottle

from .. import services
from ..models import DeliveryRequest
from ..serializers import (
    DeliveryRequestOut,
    NaviApplicationIn,
    household_input,
    navi_consent_inputs,
    needs_input,
    recipient_input,
)
from ._common import REFUSALS, _require_roles


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
