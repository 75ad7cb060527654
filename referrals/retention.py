"""Retention: erase the personal data of closed cases after ``RETENTION_MONTHS`` (docs/spec.md §5).

``anonymise_closed_cases`` (beat, daily) keeps what the reports count — food bank, agency,
municipality, prefecture, regional bureau, household type and composition, situation category,
source, status and every date — and erases what identifies or describes a person:

- delivery requests delivered, declined, cancelled or returned before the cutoff: the agency's
  case number, situation note, allergies (text and codes, and what packing did about
  them), dietary needs, decline/cancel reasons,
  tracking number and link, the notes of their status trail, the debts note of their Navi application; their
  parcels' recipient snapshot (``shipping.services.anonymise_parcels``);
- referrals closed before the cutoff: needs, outcome of the contact, outcome, the trail's notes;
- window handouts before the cutoff: the note (``inventory.services.erase_handout_notes``);
- recipients with no open case (every request and referral closed before the cutoff, no handout
  contact and no enrolment after it): name, kana, phone and its blind index, postal code, street
  address, building, children's ages; the witness and guardian names of their consents; the
  text of their feedback (and of anonymous feedback, and feedback of people erased earlier,
  received before the cutoff);
- dispatch batch documents (labels, carrier CSV, slips) of batches shipped before the cutoff.

Each row is marked (``anonymised_at``, or an empty field) so a second run changes nothing. Work is
done in chunks, each its own transaction, with the rows locked in primary-key order; a row whose
case reopened in the meantime is left alone. One audit event per run names counts only.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from foodbank import audit
from foodbank.models import AuditEvent
from inventory import services as inventory_services
from shipping import services as shipping_services

from . import locks
from .models import (
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

logger = logging.getLogger(__name__)

CHUNK = 500
S = DeliveryRequest.Status
CLOSED_REQUEST_STATUSES = (S.DELIVERED, S.DECLINED, S.CANCELLED, S.RETURNED)


@dataclass
class RetentionResult:
    cutoff: datetime
    delivery_requests: int = 0
    parcels: int = 0
    referrals: int = 0
    handout_notes: int = 0
    recipients: int = 0
    feedback: int = 0
    batch_documents: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "delivery_requests": self.delivery_requests,
            "parcels": self.parcels,
            "referrals": self.referrals,
            "handout_notes": self.handout_notes,
            "recipients": self.recipients,
            "feedback": self.feedback,
            "batch_documents": self.batch_documents,
        }

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


def months_before(moment: datetime, months: int) -> datetime:
    """The same local day and time ``months`` calendar months earlier (the 31st → the month's last day)."""
    local = timezone.localtime(moment)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - date.resolution).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))


def retention_cutoff(now: datetime | None = None) -> datetime:
    return months_before(now or timezone.now(), settings.RETENTION_MONTHS)


def _closed_requests(cutoff: datetime):
    return DeliveryRequest.objects.filter(
        anonymised_at__isnull=True, status__in=CLOSED_REQUEST_STATUSES, status_changed_at__lt=cutoff
    )


def _closed_referrals(cutoff: datetime):
    return Referral.objects.filter(
        anonymised_at__isnull=True, status=Referral.Status.CLOSED, closed_at__lt=cutoff
    )


def _recipients_without_open_case(cutoff: datetime):
    open_request = DeliveryRequest.objects.filter(recipient=OuterRef("pk")).filter(
        ~Q(status__in=CLOSED_REQUEST_STATUSES) | Q(status_changed_at__gte=cutoff)
    )
    open_referral = Referral.objects.filter(recipient=OuterRef("pk")).filter(
        ~Q(status=Referral.Status.CLOSED) | Q(closed_at__gte=cutoff)
    )
    recent_contact = HandoutContact.objects.filter(recipient=OuterRef("pk"), handout__occurred_at__gte=cutoff)
    live_enrolment = Enrolment.objects.filter(recipient=OuterRef("pk")).filter(
        Q(active=True) | Q(ends_on__gte=cutoff.date())
    )
    return Recipient.objects.filter(anonymised_at__isnull=True, created_at__lt=cutoff).filter(
        ~Exists(open_request), ~Exists(open_referral), ~Exists(recent_contact), ~Exists(live_enrolment)
    )


def _chunks(queryset):
    """Primary keys of ``queryset`` in ascending chunks (read before each chunk's transaction)."""
    last = 0
    while True:
        pks = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not pks:
            return
        yield pks
        last = pks[-1]


def _anonymise_requests(pks: list[int], *, cutoff: datetime, now: datetime) -> tuple[int, int]:
    with transaction.atomic():
        locked = locks.lock_still_selected(_closed_requests(cutoff), pks)
        if not locked:
            return 0, 0
        DeliveryRequest.objects.filter(pk__in=locked).update(
            client_reference="",
            situation_note="",
            allergies="",
            allergens=[],
            allergen_packing=[],
            dietary_note="",
            decline_reason="",
            cancel_reason="",
            tracking_number="",
            tracking_url="",
            anonymised_at=now,
        )
        # Append-only trails: their notes are erased in place (no row is added or removed).
        DeliveryRequestEvent.objects.filter(request_id__in=locked).exclude(note="").update(note="")
        NaviApplication.objects.filter(delivery_request_id__in=locked).exclude(debts_note="").update(
            debts_note=""
        )
        parcels = shipping_services.anonymise_parcels(delivery_request_ids=locked)
    return len(locked), parcels


def _anonymise_referrals(pks: list[int], *, cutoff: datetime, now: datetime) -> int:
    with transaction.atomic():
        locked = locks.lock_still_selected(_closed_referrals(cutoff), pks)
        if not locked:
            return 0
        Referral.objects.filter(pk__in=locked).update(
            needs="", contact_outcome="", outcome="", anonymised_at=now
        )
        ReferralEvent.objects.filter(referral_id__in=locked).exclude(note="").update(note="")
    return len(locked)


def _anonymise_recipients(pks: list[int], *, cutoff: datetime, now: datetime) -> tuple[int, int]:
    with transaction.atomic():
        locked = locks.lock_still_selected(_recipients_without_open_case(cutoff), pks)
        if not locked:
            return 0, 0
        Recipient.objects.filter(pk__in=locked).update(
            name="",
            name_kana="",
            phone="",
            phone_index="",
            postal_code="",
            address="",
            building="",
            children_ages=[],
            anonymised_at=now,
        )
        ConsentRecord.objects.filter(recipient_id__in=locked).filter(
            ~Q(witness_name="") | ~Q(guardian_name="")
        ).update(witness_name="", guardian_name="")
        feedback = Feedback.objects.filter(recipient_id__in=locked).exclude(message="").update(message="")
    return len(locked), feedback


def anonymise_closed_cases(*, now: datetime | None = None) -> RetentionResult:
    """Erase the personal data of cases closed before ``RETENTION_MONTHS`` ago (see the module doc).

    Chunks of ``CHUNK`` rows, each in its own transaction holding ``SELECT … FOR UPDATE`` on the
    rows it changes (delivery requests, referrals, recipients; in that order). Idempotent: rows
    already anonymised are not selected again. Records one audit event (counts only) when
    anything changed. Returns the counts.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    result = RetentionResult(cutoff=cutoff)

    for pks in _chunks(_closed_requests(cutoff)):
        requests, parcels = _anonymise_requests(pks, cutoff=cutoff, now=now)
        result.delivery_requests += requests
        result.parcels += parcels
    for pks in _chunks(_closed_referrals(cutoff)):
        result.referrals += _anonymise_referrals(pks, cutoff=cutoff, now=now)
    result.handout_notes = inventory_services.erase_handout_notes(before=cutoff)
    for pks in _chunks(_recipients_without_open_case(cutoff)):
        recipients, feedback = _anonymise_recipients(pks, cutoff=cutoff, now=now)
        result.recipients += recipients
        result.feedback += feedback
    result.feedback += (
        Feedback.objects.filter(
            Q(recipient__isnull=True) | Q(recipient__anonymised_at__isnull=False),
            received_on__lt=cutoff.date(),
        )
        .exclude(message="")
        .update(message="")
    )
    result.batch_documents = shipping_services.purge_batch_documents(shipped_before=cutoff.date())

    if result.total:
        audit.record(
            actor=None,
            action=AuditEvent.Action.CHANGE,
            object_type="retention",
            object_id=now.date().isoformat(),
            detail={
                "anonymised": result.as_dict(),
                "cutoff": cutoff.isoformat(),
                "months": settings.RETENTION_MONTHS,
            },
        )
    logger.info("Retention run (cutoff %s): %s", cutoff.isoformat(), result.as_dict())
    return result
