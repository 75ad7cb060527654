"""Reads of handout contacts: the people behind window handouts who asked to be referred."""

from django.db.models import Exists, OuterRef, QuerySet

from foodbank.models import Role
from foodbank.selectors import food_bank_ids
from foodbank.types import Actor

from ..models import (
    HandoutContact,
    Referral,
)


def handout_contacts_waiting(user: Actor) -> QuerySet[HandoutContact]:
    """Named people behind window handouts who asked to be referred and have no referral yet
    (coordinator's food banks), oldest first."""
    referred = Referral.objects.filter(handout_id=OuterRef("handout_id"))
    return (
        HandoutContact.objects.filter(
            recipient__food_bank_id__in=food_bank_ids(user, Role.COORDINATOR), handout__voided_at__isnull=True
        )
        .exclude(Exists(referred))
        .select_related("recipient", "handout__site")
        .order_by("created_at", "pk")
    )
