"""The monthly programme: enrolments and each month's approved requests."""

from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import locks, selectors
from ..exceptions import NotEnrolable
from ..models import DeliveryRequest, Enrolment, HouseholdType
from ._common import Purpose, S, _apply, announce_changes
from .consents import _check_share_consent
from .delivery_requests import NeedsInput, _create_request


def enrol_in_monthly_programme(*, request_id: int, by: User | None, starts_on: date) -> Enrolment:
    """Enrol the household of request ``request_id`` in the monthly parcel from ``starts_on``'s
    month; each month's parcel copies that request's needs. Only single-parent households
    (``NotEnrolable``), with a valid consent to share (``ConsentRequired``); one active
    enrolment per person (``NotEnrolable``)."""
    with transaction.atomic():
        request = locks.lock_request(request_id)
        person = request.recipient
        if person.household_type != HouseholdType.SINGLE_PARENT:
            raise NotEnrolable()
        _check_share_consent(request)
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    food_bank_id=request.food_bank_id,
                    recipient=person,
                    agency=request.agency,
                    enrolled_by=by,
                    template=request,
                    starts_on=starts_on.replace(day=1),
                )
        except IntegrityError:
            raise NotEnrolable(_("This household is already enrolled.")) from None
    return enrolment


def end_enrolment(*, enrolment_id: int, by: User | None, last_month: date) -> Enrolment:
    """End an enrolment after ``last_month`` (no parcels for later months)."""
    with transaction.atomic():
        enrolment = locks.lock_enrolment(enrolment_id)
        enrolment.ends_on = last_month.replace(day=1)
        enrolment.active = enrolment.ends_on >= timezone.localdate().replace(day=1)
        enrolment.save(update_fields=["ends_on", "active"])
    return enrolment


def create_monthly_requests(*, month: date) -> int:
    """Create ``month``'s delivery request for every enrolment due (approved right away: the
    enrolment was the triage). Exactly once per enrolment and month even when run twice or
    concurrently: ``(enrolment, programme_month)`` is unique and a conflict is skipped. Enrolments
    whose consent to share is no longer valid are skipped. Returns how many were created."""
    month = month.replace(day=1)
    due = list(selectors.enrolments_due(month=month))
    consenting = selectors.recipients_with_valid_consent(
        recipient_ids={e.recipient_id for e in due}, purpose=Purpose.SHARE_WITH_FOODBANK
    )
    created = 0
    for enrolment in due:
        if not enrolment.covers(month) or enrolment.recipient_id not in consenting:
            continue
        template = enrolment.template
        needs = NeedsInput(
            situation_category=template.situation_category,
            days_needed=template.days_needed,
            cooking=template.cooking,
            allergies=template.allergies,
            allergens=list(template.allergens or []),
            dietary_note=template.dietary_note,
            extras=template.extras,
            time_slot=template.time_slot,
        )
        try:
            with transaction.atomic():
                request, _event = _create_request(
                    food_bank_id=enrolment.food_bank_id,
                    source=DeliveryRequest.Source.PROGRAMME,
                    agency=enrolment.agency,
                    filed_by=enrolment.enrolled_by,
                    recipient=enrolment.recipient,
                    needs=needs,
                    enrolment=enrolment,
                    programme_month=month,
                )
                now = timezone.now()
                event = _apply(
                    request,
                    S.APPROVED,
                    by=None,
                    note=_("Monthly programme"),
                    now=now,
                    changes={"approved_at": now},
                )
                request.save(update_fields=["status", "status_changed_at", "approved_at"])
                event.save()
                announce_changes()
        except IntegrityError:
            continue  # another run created this month's request first
        created += 1
    return created
