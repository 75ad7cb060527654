"""Reads of delivery requests: who may read them, their history, the triage queue; and what
shipping reads to dispatch and pack them (``packing_views``: never the situation narrative, debts
or consent details)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from foodbank.lookups import AnyOf
from foodbank.models import Organisation, Role
from foodbank.prepared import PreparedQuery, run_together
from foodbank.selectors import food_bank_ids, has_role, memberships_for, organisation_ids
from foodbank.types import Actor
from inventory import allergens

from ..handover import AllergenPacking, ExtraWanted, PackingLabel, PackingView
from ..models import (
    COOKING_KEYS,
    ConsentRecord,
    DeliveryRequest,
    DeliveryRequestEvent,
    Referral,
)
from ._common import S
from .referrals_back import _REFERRALS_OF_REQUEST


def may_read_requests(user: Actor) -> bool:
    """Roles that read delivery requests at all (others get 403, not an empty list)."""
    return has_role(user, Role.COORDINATOR, Role.CASE_WORKER)


def _request_scope(user: Actor) -> Q:
    condition = Q(pk__in=[])
    coordinator_of = food_bank_ids(user, Role.COORDINATOR)
    if coordinator_of:
        condition |= Q(food_bank_id__in=coordinator_of)
    agencies = organisation_ids(user, Role.CASE_WORKER)
    if agencies:
        condition |= Q(agency_id__in=agencies)
    return condition


def visible_requests(user: Actor) -> QuerySet[DeliveryRequest]:
    """Delivery requests ``user`` may see: their food bank's (coordinator), their agency's (case
    worker); none for other roles. Recipient, agency and filer are joined in."""
    return DeliveryRequest.objects.filter(_request_scope(user)).select_related("recipient", "agency")


@dataclass(frozen=True)
class RequestDetail:
    """A request with its events (oldest first) and its person's consent records (newest first)."""

    request: DeliveryRequest
    events: list[DeliveryRequestEvent]
    consents: list[ConsentRecord]
    # Referrals made from the request (their status only: never the target's notes or outcome).
    referrals: list[Referral] = field(default_factory=list)


_NEW_HISTORY = "_new_history"


def remember_new_history(
    request: DeliveryRequest, *, events: list[DeliveryRequestEvent], consents: list[ConsentRecord]
) -> None:
    """Keep, on a request its service has just created for a new person, the rows of its whole
    history (nothing was withdrawn yet), so ``history`` answers the caller without reading them back.
    """
    for consent in consents:
        ConsentRecord.withdrawal.related.set_cached_value(consent, None)
    ordered = sorted(consents, key=lambda c: (c.decided_at, c.pk), reverse=True)
    setattr(request, _NEW_HISTORY, RequestDetail(request=request, events=list(events), consents=ordered))


# Compiled once per process (foodbank.prepared): reading a request's history is on the API's hot
# path, and compiling these joins cost more CPU than running them (docs/benchmarks.md).
_EVENTS_OF_REQUEST = PreparedQuery(
    lambda request_id: (
        DeliveryRequestEvent.objects.filter(request_id=request_id).select_related("by").order_by("at", "pk")
    )
)
_CONSENTS_OF_RECIPIENT = PreparedQuery(
    lambda recipient_id: (
        ConsentRecord.objects.filter(recipient_id=recipient_id)
        .select_related("withdrawal")
        .order_by("-decided_at", "-pk")
    )
)


# The same, for the person of the request with key ``request_id`` (read with the request, before its
# recipient's key is known).
_CONSENTS_OF_REQUESTS_RECIPIENT = PreparedQuery(
    lambda request_id: (
        ConsentRecord.objects.filter(
            recipient_id=Subquery(DeliveryRequest.objects.filter(pk=request_id).values("recipient_id")[:1])
        )
        .select_related("withdrawal")
        .order_by("-decided_at", "-pk")
    )
)


def history(request: DeliveryRequest, *, just_created: bool = False) -> RequestDetail:
    """Load the events, consents and referrals of a request already in hand, in one round trip
    (``run_together``; one statement each where it falls back): the referrals are not read for a
    request ``just_created``, which cannot have been referred yet, and nothing is read for a request
    just filed for a new person (``remember_new_history``)."""
    known: RequestDetail | None = getattr(request, _NEW_HISTORY, None)
    if known is not None:
        return known
    queries = [(_EVENTS_OF_REQUEST, request.pk), (_CONSENTS_OF_RECIPIENT, request.recipient_id)]
    if not just_created:
        queries.append((_REFERRALS_OF_REQUEST, request.pk))
    events, consents, *referrals = run_together(*queries)
    return RequestDetail(
        request=request,
        events=events(),
        consents=consents(),
        referrals=referrals[0]() if referrals else [],
    )


def request_detail(user: Actor, pk: int) -> RequestDetail:
    """One visible request with its history, in one round trip (``run_together``): the request
    with its recipient, agency, filer and Navi answers; its events with their users; its person's
    consents with their withdrawals; its referrals with their targets. Raises
    DeliveryRequest.DoesNotExist when it is not visible (the API answers 404); the history's rows
    are then never converted (nothing is decrypted).

    The request is read by its key with a query compiled once (``_REQUEST_BY_PK``), and its
    visibility checked on the row with ``_request_scope``'s condition: the scope's SQL would differ
    from user to user, so it could not be compiled once."""
    found, events, consents, referrals = run_together(
        (_REQUEST_BY_PK, pk),
        (_EVENTS_OF_REQUEST, pk),
        (_CONSENTS_OF_REQUESTS_RECIPIENT, pk),
        (_REFERRALS_OF_REQUEST, pk),
    )
    requests = found()
    if not requests or not _sees_request(user, requests[0]):
        raise DeliveryRequest.DoesNotExist()
    return RequestDetail(request=requests[0], events=events(), consents=consents(), referrals=referrals())


def allergen_packing(request: DeliveryRequest) -> list[AllergenPacking]:
    """What the dispatch batch did about the request's allergies (an allergen-free alternative
    packed, a substitution left to the packer), as its case worker sees it; no query."""
    return [AllergenPacking.from_stored(value) for value in request.allergen_packing or ()]


def _sees_request(user: Actor, request: DeliveryRequest) -> bool:
    """``request`` is in ``visible_requests(user)`` (the same condition as ``_request_scope``)."""
    return request.food_bank_id in food_bank_ids(user, Role.COORDINATOR) or (
        request.agency_id is not None and request.agency_id in organisation_ids(user, Role.CASE_WORKER)
    )


_REQUEST_BY_PK = PreparedQuery(
    lambda pk: DeliveryRequest.objects.filter(pk=pk).select_related(
        "recipient", "agency", "filed_by", "navi_application"
    )
)


def request_with_history(pk: int) -> RequestDetail:
    """One request with its history, unscoped: for answering the caller that has just created or
    changed it."""
    return history(
        DeliveryRequest.objects.select_related("recipient", "agency", "filed_by", "navi_application").get(
            pk=pk
        )
    )


def is_coordinator_of(user: Actor, request: DeliveryRequest) -> bool:
    return request.food_bank_id in food_bank_ids(user, Role.COORDINATOR)


def is_filing_agency(user: Actor, request: DeliveryRequest) -> bool:
    """``user`` is a case worker of the agency that filed ``request``."""
    return request.agency_id is not None and request.agency_id in organisation_ids(user, Role.CASE_WORKER)


def may_cancel(user: Actor, request: DeliveryRequest) -> bool:
    """The filing agency's case workers and the food bank's coordinators may cancel."""
    return is_coordinator_of(user, request) or (
        request.agency_id is not None and request.agency_id in organisation_ids(user, Role.CASE_WORKER)
    )


def triage_queue(user: Actor) -> QuerySet[DeliveryRequest]:
    """Submitted requests and self-referrals of the coordinator's food banks, oldest first."""
    return (
        DeliveryRequest.objects.filter(
            food_bank_id__in=food_bank_ids(user, Role.COORDINATOR), status=S.SUBMITTED
        )
        .select_related("recipient", "agency", "navi_application")
        .order_by("submitted_at", "pk")
    )


def case_worker_agencies(user: Actor) -> list[Organisation]:
    """The agencies the user files requests for, as Organisation objects (from the cached
    memberships, no query)."""
    seen, agencies = set(), []
    for m in memberships_for(user):
        if m.role == Role.CASE_WORKER and m.organisation_id not in seen:
            seen.add(m.organisation_id)
            agencies.append(m.organisation)
    return agencies


# --- Dispatch (used by shipping) ------------------------------------------------------------------


def cutoff_at(day: date | None = None) -> datetime:
    """The dispatch cutoff (``settings.DISPATCH_CUTOFF``, Asia/Tokyo) on ``day`` (default today)."""
    day = day or timezone.localdate()
    return datetime.combine(day, settings.DISPATCH_CUTOFF, tzinfo=timezone.get_current_timezone())


def time_to_cutoff(now: datetime | None = None) -> timedelta | None:
    """Time left until today's cutoff, or None once it has passed (approvals go to tomorrow)."""
    now = now or timezone.now()
    left = cutoff_at(timezone.localdate(now)) - now
    return left if left > timedelta(0) else None


def approved_requests_for_dispatch(
    *, food_bank_id: int, approved_before: datetime, ship_date: date | None = None
) -> QuerySet[DeliveryRequest]:
    """Approved requests not yet in a batch, approved before ``approved_before`` (the cutoff: a
    request approved later waits for the next day's batch), oldest approval first.

    With ``ship_date``, a request whose preferred delivery date is more than two days after it is
    held back for a later batch (Yamato delivers anywhere in Hokkaido the next day or the day
    after). Requests without a valid consent to share with the food bank are left out (withdrawal
    cancels them anyway; this is the backstop). Recipient is joined in; one query.
    """
    qs = DeliveryRequest.objects.filter(
        food_bank_id=food_bank_id, status=S.APPROVED, approved_at__lt=approved_before, batch_ref=""
    )
    if ship_date is not None:
        qs = qs.filter(Q(delivery_date__isnull=True) | Q(delivery_date__lte=ship_date + timedelta(days=2)))
    consented = Exists(
        ConsentRecord.objects.filter(
            recipient_id=OuterRef("recipient_id"),
            purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK,
            decision=ConsentRecord.Decision.GIVEN,
            withdrawal__isnull=True,
        )
    )
    return qs.filter(consented).select_related("recipient").order_by("approved_at", "pk")


_PACKING_REQUEST_FIELDS = (
    "status",
    "source",
    "days_needed",
    "allergies",
    "allergens",
    "dietary_note",
    "extras",
    "delivery_date",
    "time_slot",
)
_PACKING_RECIPIENT_FIELDS = (
    "name",
    "name_kana",
    "phone",
    "postal_code",
    "prefecture",
    "municipality",
    "address",
    "building",
    "household_type",
    "adults",
    "children",
    "children_ages",
    "infants",
    "elderly",
)


def packing_views(*, request_ids: Iterable[int]) -> list[PackingView]:
    """Packing information for many requests in one query, in the order of ``request_ids``.

    Callers (shipping's batch documents and packing station) check the volunteer's access to the
    batch themselves; this reads only fields volunteers may see. Reads plain values, not models:
    a dispatch batch asks for 10,000 at once.
    """
    ids = list(request_ids)
    rows = DeliveryRequest.objects.filter(AnyOf("pk", ids)).values(
        "pk",
        *_PACKING_REQUEST_FIELDS,
        *COOKING_KEYS,
        *(f"recipient__{name}" for name in _PACKING_RECIPIENT_FIELDS),
        "agency__phone",
    )
    by_id = {row["pk"]: row for row in rows}
    return [_packing_view(by_id[pk]) for pk in ids if pk in by_id]


def _packing_view(row: dict[str, Any]) -> PackingView:
    p = {name: row[f"recipient__{name}"] for name in _PACKING_RECIPIENT_FIELDS}
    cooking = {key: row[key] for key in COOKING_KEYS}  # DeliveryRequest.cooking
    return PackingView(
        request_id=row["pk"],
        reference=f"DR-{row['pk']:06d}",  # DeliveryRequest.reference
        status=row["status"],
        source=row["source"],
        days_needed=row["days_needed"],
        household_type=p["household_type"],
        household_size=p["adults"] + p["children"] + p["infants"] + p["elderly"],  # Recipient's
        adults=p["adults"],
        children=p["children"],
        children_ages=list(p["children_ages"] or []),
        infants=p["infants"],
        elderly=p["elderly"],
        no_cook=not any(cooking.values()),  # DeliveryRequest.no_cook
        cooking=cooking,
        allergies=row["allergies"],
        allergens=tuple(allergens.avoided(row["allergens"], row["allergies"])),
        dietary_note=row["dietary_note"],
        extras=tuple(ExtraWanted.from_stored(extra) for extra in row["extras"] or ()),
        delivery_date=row["delivery_date"],
        time_slot=row["time_slot"],
        label=PackingLabel(
            name=p["name"],
            name_kana=p["name_kana"],
            phone=p["phone"],
            postal_code=p["postal_code"],
            prefecture=p["prefecture"],
            municipality=p["municipality"],
            address=p["address"],
            building=p["building"],
            agency_phone=row["agency__phone"] or "",
        ),
    )
