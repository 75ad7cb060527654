"""What a coordinator does on a person's page: record a consent decision, record a withdrawal,
correct the person's data. Each goes through ``referrals``' services and is audited; a correction
also leaves a ``PersonCorrection`` in the person's trail."""

from django.db import transaction

from foodbank import audit
from foodbank.models import AuditEvent
from referrals import corrections
from referrals import services as referrals
from referrals.models import ConsentRecord, Recipient
from referrals.services import ConsentInput

from .models import PersonCorrection


def record_decision(
    *, by, person: Recipient, purpose: str, decision: str, method: str, witness: str, request=None
):
    """A consent given or refused, as told to the coordinator (a refusal to share cancels the
    person's open requests, as in ``referrals.services.record_consent``)."""
    with transaction.atomic():
        record = referrals.record_consent(
            recipient_id=person.pk,
            data=ConsentInput(purpose=purpose, decision=decision, method=method, witness_name=witness),
            by=by,
            organisation_id=person.food_bank_id,
        )
        audit.record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            object_type="consent",
            object_id=record.pk,
            subject_id=person.pk,
            food_bank_id=person.food_bank_id,
            request=request,
            detail={"purpose": purpose, "decision": decision, "method": method},
        )
    return record


def withdraw(
    *,
    by,
    consent: ConsentRecord,
    method: str,
    witness: str,
    note: str = "",
    organisation_id: int | None = None,
) -> ConsentRecord:
    """Record the person's withdrawal, honoured everywhere at once (``withdraw_consent``). How it was
    told and who witnessed it go into the withdrawal's note, as on the API."""
    told = f"{ConsentRecord.Method(method).label}" + (f" / {witness}" if witness else "")
    return referrals.withdraw_consent(
        consent_id=consent.pk,
        by=by,
        # The food bank when its coordinator records it; the recording agency for its case worker.
        organisation_id=organisation_id or consent.food_bank_id,
        note=" — ".join(x for x in (told, note.strip()) if x),
    )


def correct(*, by, person: Recipient, changes: dict, reason: str, requested_by_person: bool, request=None):
    """Correct the person's data; returns the fields that changed (none: nothing is written)."""
    with transaction.atomic():
        changed = corrections.correct_recipient(recipient_id=person.pk, changes=changes)
        if changed:
            PersonCorrection.objects.create(
                food_bank_id=person.food_bank_id,
                recipient=person,
                fields=sorted(changed),
                reason=reason[:300],
                requested_by_person=requested_by_person,
                corrected_by=by,
            )
            audit.record(
                actor=by,
                action=AuditEvent.Action.CHANGE,
                object_type="recipient",
                object_id=person.pk,
                subject_id=person.pk,
                food_bank_id=person.food_bank_id,
                request=request,
                detail={"fields": sorted(changed), "correction": True},
            )
    return changed
