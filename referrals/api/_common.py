"""What the referrals API views share: tags, refusals, roles, finding a visible request."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import PermissionDenied

from foodbank.selectors import has_role

from .. import selectors
from ..models import DeliveryRequest

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


REFERRAL_TAGS = ["referrals"]
