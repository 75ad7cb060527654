"""Reads of consents: the consent that allows acting now, and who sees and withdraws which."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from foodbank.lookups import AnyOf
from foodbank.models import Role
from foodbank.selectors import food_bank_ids, organisation_ids
from foodbank.types import Actor

from ..models import ConsentRecord


def valid_consent(*, recipient_id: int, purpose: str) -> ConsentRecord | None:
    """The consent that allows acting for ``purpose`` now, or None.

    The person's latest decision for the purpose counts: a refusal after a consent, or a
    withdrawal, means no. Call it at the moment of acting (and again in a task when it runs).
    """
    latest = (
        ConsentRecord.objects.filter(recipient_id=recipient_id, purpose=purpose)
        .select_related("withdrawal")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if latest is None or latest.decision != ConsentRecord.Decision.GIVEN:
        return None
    if _is_withdrawn(latest):
        return None
    return latest


def recipients_with_valid_consent(*, recipient_ids: Iterable[int], purpose: str) -> set[int]:
    """Of ``recipient_ids``, those with a valid consent for ``purpose`` (one query)."""
    ids = set(recipient_ids)
    if not ids:
        return set()
    # Plain values, not models: the dispatch batch asks about thousands of recipients at once.
    latest: dict[int, tuple[str, int | None]] = {}
    for recipient_id, decision, withdrawal_id in (
        ConsentRecord.objects.filter(AnyOf("recipient_id", ids), purpose=purpose)
        .order_by("recipient_id", "-decided_at", "-pk")
        .values_list("recipient_id", "decision", "withdrawal__pk")
    ):
        latest.setdefault(recipient_id, (decision, withdrawal_id))
    return {
        rid
        for rid, (decision, withdrawal_id) in latest.items()
        if decision == ConsentRecord.Decision.GIVEN and withdrawal_id is None
    }


def _is_withdrawn(record: ConsentRecord) -> bool:
    try:
        return record.withdrawal is not None
    except ConsentRecord.withdrawal.RelatedObjectDoesNotExist:
        return False


def visible_consents(user: Actor) -> QuerySet[ConsentRecord]:
    """Consent records of the coordinator's food bank, or recorded by (or about a recipient of)
    the case worker's agency."""
    condition = Q(pk__in=[])
    coordinator_of = food_bank_ids(user, Role.COORDINATOR)
    if coordinator_of:
        condition |= Q(food_bank_id__in=coordinator_of)
    agencies = organisation_ids(user, Role.CASE_WORKER)
    if agencies:
        condition |= Q(recorded_by_organisation_id__in=agencies) | Q(recipient__agency_id__in=agencies)
    return ConsentRecord.objects.filter(condition).select_related("withdrawal", "recorded_by")


def may_withdraw(user: Actor, consent: ConsentRecord) -> bool:
    """The food bank's coordinators and case workers of the recording agency."""
    return consent.food_bank_id in food_bank_ids(user, Role.COORDINATOR) or (
        consent.recorded_by_organisation_id in organisation_ids(user, Role.CASE_WORKER)
    )
