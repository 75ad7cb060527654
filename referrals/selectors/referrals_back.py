"""Reads of referrals back to consultation services: the target's inbox, the trail, the shared
details, what to escalate."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import holidays
from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone

from foodbank.models import Organisation, Role, Site
from foodbank.prepared import PreparedQuery
from foodbank.selectors import food_bank_ids, has_role, organisation_ids, site_ids
from foodbank.types import Actor

from ..models import (
    REFERRAL_TARGET_KINDS,
    NaviApplication,
    Recipient,
    Referral,
    ReferralEvent,
)
from ..validation import display_phone


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
