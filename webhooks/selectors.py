"""Who manages which webhook endpoints (docs/authorization.md).

An agency's case workers manage their agency's endpoints (their systems are the agency's); the
food bank's coordinators see and manage every endpoint of their network. Nobody else.
"""

from django.db.models import Q, QuerySet

from foodbank.models import Organisation, Role
from foodbank.selectors import food_bank_ids, has_role, organisation_ids
from foodbank.types import Actor

from .models import WebhookDelivery, WebhookEndpoint


def may_use_webhooks(user: Actor) -> bool:
    return has_role(user, Role.COORDINATOR, Role.CASE_WORKER)


def visible_endpoints(user: Actor) -> QuerySet[WebhookEndpoint]:
    scope = Q(pk__in=[])
    if fbs := food_bank_ids(user, Role.COORDINATOR):
        scope |= Q(food_bank_id__in=fbs)
    if agencies := organisation_ids(user, Role.CASE_WORKER):
        scope |= Q(agency_id__in=agencies)
    return WebhookEndpoint.objects.filter(scope).select_related("agency")


def manageable_agencies(user: Actor) -> QuerySet[Organisation]:
    """Agencies for which ``user`` may register endpoints."""
    scope = Q(pk__in=organisation_ids(user, Role.CASE_WORKER))
    if fbs := food_bank_ids(user, Role.COORDINATOR):
        scope |= Q(food_bank_id__in=fbs) & ~Q(kind=Organisation.Kind.FOOD_BANK)
    return Organisation.objects.filter(scope, active=True).order_by("name", "pk")


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-pk")
