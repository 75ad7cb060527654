"""Reads of the monthly programme: enrolments, and those due a request this month."""

from datetime import date

from django.db.models import Q, QuerySet

from foodbank.models import Role
from foodbank.selectors import food_bank_ids, organisation_ids
from foodbank.types import Actor

from ..models import Enrolment


def visible_enrolments(user: Actor) -> QuerySet[Enrolment]:
    condition = Q(pk__in=[])
    coordinator_of = food_bank_ids(user, Role.COORDINATOR)
    if coordinator_of:
        condition |= Q(food_bank_id__in=coordinator_of)
    agencies = organisation_ids(user, Role.CASE_WORKER)
    if agencies:
        condition |= Q(agency_id__in=agencies)
    return Enrolment.objects.filter(condition).select_related("recipient", "agency")


def enrolments_due(*, month: date) -> QuerySet[Enrolment]:
    """Active enrolments covering ``month`` (its first day) that have no request for it yet."""
    return (
        Enrolment.objects.filter(active=True, starts_on__lte=month)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=month))
        .exclude(delivery_requests__programme_month=month)
        .select_related("recipient", "template")
        .order_by("pk")
    )
