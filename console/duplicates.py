"""Possible duplicate households across agencies, for the coordinator at triage (docs/console.md).

A request waiting for triage may be the same household as an open request filed by another agency
(or through the Navi): the same phone (compared through the blind index, never in clear), or the
same name in kana with the same postal code. Only the food bank's coordinators see the pair; the
case workers of the two agencies never see each other's requests.
"""

from dataclasses import dataclass

from django.db.models import Q

from referrals import selectors as referral_selectors
from referrals.models import DeliveryRequest

from .people import katakana


@dataclass(frozen=True)
class PossibleDuplicate:
    request: DeliveryRequest  # waiting for triage
    other: DeliveryRequest  # open, from another agency
    reasons: tuple[str, ...]  # "phone", "kana_postal_code"


def _kana_key(request: DeliveryRequest) -> tuple[str, str] | None:
    person = request.recipient
    kana = katakana(person.name_kana)
    return (kana, person.postal_code) if kana and person.postal_code else None


def _same_source(a: DeliveryRequest, b: DeliveryRequest) -> bool:
    return a.source == b.source and a.agency_id == b.agency_id


def possible_duplicates(user) -> list[PossibleDuplicate]:
    """Pairs (request waiting for triage, open request of another agency) that may be one household.

    Two queries whatever the queue's length: the queue, then every open request of the food banks
    sharing a phone index or a postal code with it; matched here (kana is compared normalised).
    """
    queue = list(referral_selectors.triage_queue(user)[:500])
    phones = {r.recipient.phone_index for r in queue if r.recipient.phone_index}
    postal_codes = {r.recipient.postal_code for r in queue if r.recipient.postal_code}
    if not queue or not (phones or postal_codes):
        return []
    candidates = list(
        DeliveryRequest.objects.filter(
            food_bank_id__in={r.food_bank_id for r in queue},
            status__in=referral_selectors.OPEN_STATUSES,
        )
        .filter(Q(recipient__phone_index__in=phones) | Q(recipient__postal_code__in=postal_codes))
        .select_related("recipient", "agency")
        .order_by("submitted_at", "pk")
    )
    found = []
    for request in queue:
        key = _kana_key(request)
        for other in candidates:
            if (
                other.pk == request.pk
                or other.food_bank_id != request.food_bank_id
                or _same_source(request, other)
            ):
                continue
            reasons = []
            if request.recipient.phone_index and request.recipient.phone_index == other.recipient.phone_index:
                reasons.append("phone")
            if key is not None and key == _kana_key(other):
                reasons.append("kana_postal_code")
            if reasons:
                found.append(PossibleDuplicate(request, other, tuple(reasons)))
    return found
