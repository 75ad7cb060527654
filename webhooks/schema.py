"""The webhooks in the OpenAPI document (``webhooks`` of OpenAPI 3.1), so that an agency can
generate a receiver: one POST per event type, its body the same ``Change`` as the changes feed,
with the Standard Webhooks headers (docs/webhooks.md)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiWebhook, extend_schema

from .serializers import ChangeOut, ReferralChangeOut

RESPONSES = {
    204: OpenApiResponse(description="Any 2xx: received. Anything else, or no answer in time: retried.")
}
HEADERS = [
    OpenApiParameter(
        "webhook-id",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="The event id (de-duplicate by it).",
    ),
    OpenApiParameter(
        "webhook-timestamp", str, OpenApiParameter.HEADER, required=True, description="Unix seconds."
    ),
    OpenApiParameter(
        "webhook-signature",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description=(
            '`v1,<base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}">` with the '
            "endpoint's secret (base64 after `whsec_`); two, space-separated, for a day after a rotation."
        ),
    ),
]

delivery_request_changed = OpenApiWebhook(
    name="deliveryRequestChanged",
    decorator=extend_schema(
        summary="A delivery request of your agency changed",
        description=(
            "Sent for each event type the endpoint chose (`type`: `delivery_request.<status>`), in "
            "order per request, retried with exponential backoff for a day until you answer 2xx."
        ),
        parameters=HEADERS,
        request=ChangeOut,
        responses=RESPONSES,
    ),
)

referral_changed = OpenApiWebhook(
    name="referralChanged",
    decorator=extend_schema(
        summary="A referral made from one of your requests was acknowledged or closed",
        description="`type`: `referral.acknowledged` or `referral.closed`; the status only.",
        parameters=HEADERS,
        request=ReferralChangeOut,
        responses=RESPONSES,
    ),
)
