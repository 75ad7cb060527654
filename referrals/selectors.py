"""Reads of the referrals domain, scoped to what each role may see (docs/spec.md §2).

All scoping of delivery requests, consents and enrolments lives here: coordinators see their food
bank's, case workers their own agency's. Volunteers see nothing here except ``packing_views`` (what
they need to pack, never the situation narrative, debts or consent details), which shipping calls.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import holidays
from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, When
from django.utils import timezone

from foodbank.lookups import AnyOf
from foodbank.models import Organisation, Role, Site
from foodbank.prepared import PreparedQuery
from foodbank.selectors import food_bank_ids, has_role, memberships_for, organisation_ids, site_ids
from foodbank.types import Actor
from inventory import allergens

from .handover import AllergenPacking, ExtraWanted, PackingLabel, PackingView
from .models import (
    COOKING_KEYS,
    REFERRAL_TARGET_KINDS,
    ConsentRecord,
    DeliveryRequest,
    DeliveryRequestEvent,
    Enrolment,
    Feedback,
    HandoutContact,
    NaviApplication,
    Recipient,
    Referral,
    ReferralEvent,
)
from .validation import display_phone

S = DeliveryRequest.Status
# Statuses from which a request may still be cancelled ("until packed").
CANCELLABLE = (S.SUBMITTED, S.APPROVED, S.SCHEDULED)
OPEN_STATUSES = (S.SUBMITTED, S.APPROVED, S.SCHEDULED, S.PACKED, S.SHIPPED)


# --- Delivery requests ----------------------------------------------------------------------------


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


def history(request: DeliveryRequest, *, just_created: bool = False) -> RequestDetail:
    """Load the events, consents and referrals of a request already in hand (three queries; two
    for a request ``just_created``, which cannot have been referred yet; none for a request just
    filed for a new person, see ``remember_new_history``)."""
    known: RequestDetail | None = getattr(request, _NEW_HISTORY, None)
    if known is not None:
        return known
    events = _EVENTS_OF_REQUEST(request.pk)
    consents = _CONSENTS_OF_RECIPIENT(request.recipient_id)
    referrals = [] if just_created else _REFERRALS_OF_REQUEST(request.pk)
    return RequestDetail(request=request, events=events, consents=consents, referrals=referrals)


def request_detail(user: Actor, pk: int) -> RequestDetail:
    """One visible request with its history (four queries). Raises DeliveryRequest.DoesNotExist
    when it is not visible (the API answers 404).

    The request is read by its key with a query compiled once (``_REQUEST_BY_PK``), and its
    visibility checked on the row with ``_request_scope``'s condition: the scope's SQL would differ
    from user to user, so it could not be compiled once."""
    found = _REQUEST_BY_PK(pk)
    if not found or not _sees_request(user, found[0]):
        raise DeliveryRequest.DoesNotExist()
    return history(found[0])


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


# --- Consent --------------------------------------------------------------------------------------


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


# --- Monthly programme ----------------------------------------------------------------------------


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


# --- Referrals back to consultation services ------------------------------------------------------


def may_use_target_inbox(user: Actor) -> bool:
    """Roles that may be the staff of a referral's target: window staff and partner agencies'
    staff (the inbox page; coordinators follow referrals on their own page)."""
    return has_role(user, Role.WINDOW_STAFF, Role.CASE_WORKER)


def _target_scope(user: Actor) -> Q:
    condition = Q(pk__in=[])
    windows = site_ids(user, Role.WINDOW_STAFF)
    if windows:
        condition |= Q(target_site_id__in=windows)
    organisations = organisation_ids(user, Role.WINDOW_STAFF, Role.CASE_WORKER)
    if organisations:
        condition |= Q(target_organisation_id__in=organisations)
    return condition


def inbox_referrals(user: Actor) -> QuerySet[Referral]:
    """The target's inbox: referrals addressed to the user's window (window staff) or to their
    organisation (its staff), whatever other roles the user has. Open ones first, then newest."""
    return (
        Referral.objects.filter(_target_scope(user))
        .select_related("recipient", "target_site", "target_organisation", "delivery_request", "consent")
        .order_by(
            Case(When(status=Referral.Status.CLOSED, then=1), default=0),
            "-sent_at",
            "-pk",
        )
    )


def is_window_staff_of(user: Actor, site_id: int) -> bool:
    return site_id in site_ids(user, Role.WINDOW_STAFF)


def open_referral_count(user: Actor, *, site_id: int) -> int:
    """Open referrals addressed to one window the user works at (the badge on the window page)."""
    if not is_window_staff_of(user, site_id):
        return 0
    return Referral.objects.filter(target_site_id=site_id).exclude(status=Referral.Status.CLOSED).count()


def referral_trail(user: Actor) -> QuerySet[Referral]:
    """The coordinator's list: every referral of their food banks, newest first."""
    return (
        Referral.objects.filter(food_bank_id__in=food_bank_ids(user, Role.COORDINATOR))
        .select_related("recipient", "target_site", "target_organisation", "delivery_request", "created_by")
        .order_by("-sent_at", "-pk")
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


def may_use_referral_inbox(user: Actor) -> bool:
    """Roles that read referrals at all: coordinators, window staff and partner agencies' staff."""
    return has_role(user, Role.COORDINATOR, Role.WINDOW_STAFF, Role.CASE_WORKER)


def visible_referrals(user: Actor) -> QuerySet[Referral]:
    """Referrals ``user`` may see: all of their food bank's (coordinator); those addressed to
    their window (window staff) or to their organisation (its staff). Nothing for other roles."""
    condition = _target_scope(user)
    coordinator_of = food_bank_ids(user, Role.COORDINATOR)
    if coordinator_of:
        condition |= Q(food_bank_id__in=coordinator_of)
    return Referral.objects.filter(condition).select_related(
        "recipient", "target_site", "target_organisation", "delivery_request", "consent"
    )


def is_referral_coordinator(user: Actor, referral: Referral) -> bool:
    return referral.food_bank_id in food_bank_ids(user, Role.COORDINATOR)


def referral_events(referral_ids: Iterable[int]) -> dict[int, list[ReferralEvent]]:
    """The trails of many referrals, oldest step first (one query)."""
    trails: dict[int, list[ReferralEvent]] = {pk: [] for pk in referral_ids}
    for event in (
        ReferralEvent.objects.filter(referral_id__in=list(trails)).select_related("by").order_by("at", "pk")
    ):
        trails[event.referral_id].append(event)
    return trails


def referrals_of_request(request_id: int) -> list[Referral]:
    """The referrals made from one delivery request (status only is shown to its case worker)."""
    return _REFERRALS_OF_REQUEST(request_id)


_REFERRALS_OF_REQUEST = PreparedQuery(
    lambda request_id: (
        Referral.objects.filter(delivery_request_id=request_id)
        .select_related("target_site__organisation", "target_organisation")
        .order_by("sent_at", "pk")
    )
)


def propose_target(recipient: Recipient) -> Site | Organisation | None:
    """The window or agency to refer ``recipient`` to: a consultation window in their
    municipality, else a partner agency serving it, else an agency (then a window) of their
    regional bureau. None when nothing matches (the coordinator chooses)."""
    windows = Site.objects.filter(
        food_bank_id=recipient.food_bank_id, kind=Site.Kind.WINDOW, active=True
    ).select_related("organisation")
    agencies = Organisation.objects.filter(
        food_bank_id=recipient.food_bank_id, kind__in=REFERRAL_TARGET_KINDS, active=True
    )
    same_place = Q(pk__in=[])
    if recipient.municipality_code:
        same_place |= Q(municipality_code=recipient.municipality_code)
    if recipient.municipality:
        same_place |= Q(municipality=recipient.municipality)
    window = windows.filter(same_place).order_by("pk").first()
    if window is not None:
        return window
    if recipient.municipality:
        agency = agencies.filter(municipality=recipient.municipality).order_by("pk").first()
        if agency is not None:
            return agency
    if recipient.regional_bureau:
        agency = agencies.filter(regional_bureau=recipient.regional_bureau).order_by("pk").first()
        if agency is not None:
            return agency
        return windows.filter(regional_bureau=recipient.regional_bureau).order_by("pk").first()
    return None


def referral_targets(food_bank_id: int) -> tuple[QuerySet[Site], QuerySet[Organisation]]:
    """What a coordinator may address a referral to: the food bank's active windows and partner
    agencies of the referral kinds."""
    return (
        Site.objects.filter(food_bank_id=food_bank_id, kind=Site.Kind.WINDOW, active=True),
        Organisation.objects.filter(food_bank_id=food_bank_id, kind__in=REFERRAL_TARGET_KINDS, active=True),
    )


def shared_details(referral: Referral) -> dict[str, Any] | None:
    """What the target may see of the person: only the categories the consent covered when the
    referral was sent, plus the needs the person chose to share. None once the consent is
    withdrawn (the target still sees that the referral existed). The recipient and delivery
    request must be loaded (``visible_referrals`` joins them)."""
    if referral.withdrawn:
        return None
    person = referral.recipient
    categories = set(referral.shared_categories)
    details: dict[str, Any] = {"municipality": person.municipality, "needs": referral.needs}
    if "identity" in categories:
        details.update(name=person.name, name_kana=person.name_kana, is_pseudonym=person.is_pseudonym)
    if "contact" in categories:
        details["phone"] = display_phone(person.phone) if person.phone else ""
    if "address" in categories:
        details.update(
            postal_code=person.postal_code_display,
            address=f"{person.prefecture}{person.municipality}{person.address} {person.building}".strip(),
        )
    if "household" in categories:
        details["household"] = {
            "type": person.household_type,
            "adults": person.adults,
            "children": person.children,
            "infants": person.infants,
            "elderly": person.elderly,
        }
    request = referral.delivery_request
    if "situation" in categories and request is not None:
        details["situation"] = {"category": request.situation_category, "note": request.situation_note}
    if "debts" in categories and request is not None:
        navi = NaviApplication.objects.filter(delivery_request_id=request.pk).first()
        if navi is not None and navi.has_debts:
            details["debts"] = navi.debts_note
    return details


def working_days_since(start: date, today: date) -> int:
    """Working days after ``start`` up to and including ``today``: weekends and Japanese public
    holidays (the ``holidays`` package) do not count."""
    if today <= start:
        return 0
    japan = holidays.country_holidays("JP", years=range(start.year, today.year + 1))
    count = 0
    day = start + timedelta(days=1)
    while day <= today:
        if day.weekday() < 5 and day not in japan:
            count += 1
        day += timedelta(days=1)
    return count


def referrals_to_escalate(*, today: date, after_working_days: int) -> list[int]:
    """Ids of referrals still unacknowledged ``after_working_days`` working days after they were
    sent, and not escalated yet."""
    candidates = Referral.objects.filter(status=Referral.Status.SENT, escalated_at__isnull=True).values_list(
        "pk", "sent_at"
    )
    return [
        pk
        for pk, sent_at in candidates
        if working_days_since(timezone.localtime(sent_at).date(), today) >= after_working_days
    ]


def visible_feedback(user: Actor) -> QuerySet[Feedback]:
    """All feedback of the coordinator's food banks (private included: only coordinators)."""
    return Feedback.objects.filter(food_bank_id__in=food_bank_ids(user, Role.COORDINATOR))


def publishable_feedback(*, food_banks: Iterable[int]) -> QuerySet[Feedback]:
    """The only feedback that may leave the coordinator's page (exports, reports, other pages)."""
    return Feedback.objects.filter(food_bank_id__in=list(food_banks), may_be_published=True)
