"""Reads of feedback: the coordinator's, and the only feedback that may be published."""

from collections.abc import Iterable

from django.db.models import QuerySet

from foodbank.models import Role
from foodbank.selectors import food_bank_ids
from foodbank.types import Actor

from ..models import Feedback


def visible_feedback(user: Actor) -> QuerySet[Feedback]:
    """All feedback of the coordinator's food banks (private included: only coordinators)."""
    return Feedback.objects.filter(food_bank_id__in=food_bank_ids(user, Role.COORDINATOR))


def publishable_feedback(*, food_banks: Iterable[int]) -> QuerySet[Feedback]:
    """The only feedback that may leave the coordinator's page (exports, reports, other pages)."""
    return Feedback.objects.filter(food_bank_id__in=list(food_banks), may_be_published=True)
