"""Consents: recording them, withdrawing them, and stopping the work a withdrawal forbids."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit
from foodbank.models import AuditEvent

from .. import handover, locks, selectors
from ..exceptions import ConsentAlreadyWithdrawn, ConsentRequired
from ..models import (
    ConsentRecord,
    ConsentWithdrawal,
    DeliveryRequest,
    DeliveryRequestEvent,
    Enrolment,
    Recipient,
)
from ._common import Purpose, S, _apply, announce_changes
from .referrals_back import _honour_referral_withdrawal

# The consent wording agencies and the Navi show (bump when the text changes).
CONSENT_WORDING_VERSION = "2025-04"
# What each purpose covers by default: who receives the data, and which kinds.
CONSENT_SCOPE: dict[str, tuple[list[str], list[str]]] = {
    Purpose.SHARE_WITH_FOODBANK: (
        ["food_bank", "courier"],
        ["identity", "contact", "address", "household", "situation", "health"],
    ),
    Purpose.REFERRAL: (["consultation_service"], ["identity", "contact", "household", "situation"]),
    Purpose.PHONE_CONTACT: (["food_bank", "referring_agency"], ["contact"]),
}


@dataclass(frozen=True)
class ConsentInput:
    purpose: str
    decision: str = ConsentRecord.Decision.GIVEN
    method: str = ConsentRecord.Method.SIGNED_FORM
    witness_name: str = ""
    wording_version: str = CONSENT_WORDING_VERSION
    by_guardian: bool = False
    guardian_name: str = ""
    decided_at: datetime | None = None
    basis: str = ConsentRecord.Basis.CONSENT
    statutory_basis: str = ""
    data_recipients: Sequence[str] | None = None
    data_categories: Sequence[str] | None = None


def _require_share_consent(consents: Sequence[ConsentInput]) -> None:
    if not any(
        c.purpose == Purpose.SHARE_WITH_FOODBANK and c.decision == ConsentRecord.Decision.GIVEN
        for c in consents
    ):
        raise ConsentRequired(
            _("The person's consent to share their details with the food bank is required.")
        )


def _record_consents(
    *,
    person: Recipient,
    consents: Sequence[ConsentInput],
    by: User | None,
    organisation_id: int,
    request: DeliveryRequest | None = None,
) -> list[ConsentRecord]:
    now = timezone.now()
    return ConsentRecord.objects.bulk_create(
        [
            _consent_row(
                person=person, data=c, by=by, organisation_id=organisation_id, request=request, now=now
            )
            for c in consents
        ]
    )


def _consent_row(
    *,
    person: Recipient,
    data: ConsentInput,
    by: User | None,
    organisation_id: int,
    request: DeliveryRequest | None,
    now: datetime,
) -> ConsentRecord:
    default_recipients, default_categories = CONSENT_SCOPE[data.purpose]
    return ConsentRecord(
        food_bank_id=person.food_bank_id,
        recipient=person,
        purpose=data.purpose,
        data_recipients=list(data.data_recipients or default_recipients),
        data_categories=list(data.data_categories or default_categories),
        basis=data.basis,
        statutory_basis=data.statutory_basis,
        decision=data.decision,
        method=data.method,
        witness_name=data.witness_name,
        wording_version=data.wording_version,
        by_guardian=data.by_guardian,
        guardian_name=data.guardian_name,
        decided_at=data.decided_at or now,
        recorded_by=by,
        recorded_by_organisation_id=organisation_id,
        delivery_request=request,
    )


def _check_share_consent(request: DeliveryRequest) -> None:
    if (
        selectors.valid_consent(recipient_id=request.recipient_id, purpose=Purpose.SHARE_WITH_FOODBANK)
        is None
    ):
        raise ConsentRequired(
            _("The person's consent to share their details with the food bank is no longer valid.")
        )


def record_consent(
    *,
    recipient_id: int,
    data: ConsentInput,
    by: User | None,
    organisation_id: int,
    request_id: int | None = None,
) -> ConsentRecord:
    """Record a new decision (a later one supersedes the earlier for the same purpose). A refusal
    to share with the food bank cancels the person's open requests, as a withdrawal does."""
    with transaction.atomic():
        person = Recipient.objects.get(pk=recipient_id)
        request = (
            DeliveryRequest.objects.get(pk=request_id, recipient_id=recipient_id) if request_id else None
        )
        (record,) = _record_consents(
            person=person, consents=[data], by=by, organisation_id=organisation_id, request=request
        )
        if data.purpose == Purpose.SHARE_WITH_FOODBANK and data.decision == ConsentRecord.Decision.REFUSED:
            _stop_work_for(recipient_id=recipient_id, by=by, note=_("Consent to share refused."))
        if data.purpose == Purpose.REFERRAL and data.decision == ConsentRecord.Decision.REFUSED:
            _honour_referral_withdrawal(recipient_id=recipient_id, by=by, now=timezone.now())
    return record


def withdraw_consent(
    *,
    consent_id: int,
    by: User,
    organisation_id: int,
    withdrawn_at: datetime | None = None,
    note: str = "",
) -> ConsentRecord:
    """Withdraw a consent (its own record: when, by whom, for which organisation).

    Locks the consent row; ``ConsentAlreadyWithdrawn`` if it was. Withdrawing the consent to share
    with the food bank cancels the person's requests that are not packed yet and ends their
    monthly enrolment, in the same transaction: honoured everywhere at once. Tasks re-check
    consent when they run, so queued work stops too.
    """
    with transaction.atomic():
        consent = locks.lock_consent(consent_id)
        if ConsentWithdrawal.objects.filter(consent_id=consent.pk).exists():
            raise ConsentAlreadyWithdrawn()
        ConsentWithdrawal.objects.create(
            consent=consent,
            withdrawn_at=withdrawn_at or timezone.now(),
            recorded_by=by,
            recorded_by_organisation_id=organisation_id,
            note=note[:500],
        )
        if (
            consent.purpose == Purpose.SHARE_WITH_FOODBANK
            and selectors.valid_consent(
                recipient_id=consent.recipient_id, purpose=Purpose.SHARE_WITH_FOODBANK
            )
            is None
        ):
            _stop_work_for(recipient_id=consent.recipient_id, by=by, note=_("Consent withdrawn."))
        if consent.purpose == Purpose.REFERRAL:
            _honour_referral_withdrawal(recipient_id=consent.recipient_id, by=by, now=timezone.now())
        audit.record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            object_type="consent",
            object_id=consent.pk,
            subject_id=consent.recipient_id,
            food_bank_id=consent.food_bank_id,
            detail={"withdrawn": True, "purpose": consent.purpose},
        )
    return ConsentRecord.objects.select_related("withdrawal").get(pk=consent.pk)


def _stop_work_for(*, recipient_id: int, by: User | None, note: str) -> None:
    """Cancel the person's requests that are not packed yet and end their enrolments. Parcels
    already booked for them leave their batches first (``handover.withdraw_from_dispatch``)."""
    cancellable = DeliveryRequest.objects.filter(recipient_id=recipient_id, status__in=selectors.CANCELLABLE)
    ids = list(cancellable.values_list("pk", flat=True))
    withdrawn = handover.withdraw_from_dispatch(request_ids=ids, by=by, note=str(note))
    rows = [r for r in locks.lock_requests(ids) if r.status in selectors.CANCELLABLE]
    late = [r.pk for r in rows if r.status == S.SCHEDULED and r.pk not in withdrawn]
    if late:  # scheduled by the cutoff in between: take their parcels out under the requests' locks
        handover.withdraw_from_dispatch(request_ids=late, by=by, note=str(note))
    now = timezone.now()
    events = [
        _apply(r, S.CANCELLED, by=by, note=note, now=now, changes={"cancel_reason": note}) for r in rows
    ]
    DeliveryRequest.objects.bulk_update(rows, ["status", "status_changed_at", "cancel_reason"])
    DeliveryRequestEvent.objects.bulk_create(events)
    announce_changes()
    Enrolment.objects.filter(recipient_id=recipient_id, active=True).update(
        active=False, ends_on=timezone.localdate().replace(day=1)
    )
