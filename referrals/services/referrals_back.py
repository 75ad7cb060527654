"""Referrals back to consultation services: sending, acknowledging, closing, escalating."""

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit, outbox
from foodbank.exceptions import InvalidTransition
from foodbank.models import AuditEvent, Organisation, Site

from .. import locks, selectors
from ..exceptions import ConsentRequired, NoReferralTarget
from ..models import DATA_CATEGORIES, Recipient, Referral, ReferralEvent
from ._common import Purpose, announce_changes

RS = Referral.Status
EK = ReferralEvent.Kind
# The referral trail (docs/spec.md §3.3): sent → acknowledged → contacted → closed.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.SENT: frozenset({RS.ACKNOWLEDGED, RS.CONTACTED, RS.CLOSED}),
    RS.ACKNOWLEDGED: frozenset({RS.CONTACTED, RS.CLOSED}),
    RS.CONTACTED: frozenset({RS.CLOSED}),
    RS.CLOSED: frozenset(),
}


def create_referral(
    *,
    by: User,
    recipient_id: int,
    source: str,
    delivery_request_id: int | None = None,
    handout_id: int | None = None,
    target: Site | Organisation | None = None,
    needs: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """Refer a consenting person to a consultation window or partner agency (status ``sent``).

    Needs the person's valid consent to referral (``ConsentRequired``, nothing written): it is
    found, locked (``SELECT … FOR UPDATE`` on the consent row, which a withdrawal also locks) and
    checked again under the lock, and it must cover consultation services as recipients of the
    data. ``target`` defaults to ``selectors.propose_target`` (``NoReferralTarget`` when nothing
    matches). Shares the consent's data categories with the target: records the provision
    (``audit.record_provision``) and the first event in the same transaction. The caller checks
    that ``by`` is a coordinator of the person's food bank.
    """
    with transaction.atomic():
        consent = selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL)
        if consent is not None:
            consent = locks.lock_consent(consent.pk)
            latest = selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL)
            if latest is None or latest.pk != consent.pk:
                consent = None
        if consent is None or "consultation_service" not in consent.data_recipients:
            raise ConsentRequired(
                _(
                    "The person has not consented to a referral to a consultation service, "
                    "or has withdrawn that consent."
                )
            )
        person = Recipient.objects.get(pk=recipient_id)
        if target is None:
            target = selectors.propose_target(person)
            if target is None:
                raise NoReferralTarget()
        _check_target(target, food_bank_id=person.food_bank_id)
        categories = sorted(set(consent.data_categories) & set(DATA_CATEGORIES))
        referral = Referral.objects.create(
            food_bank_id=person.food_bank_id,
            recipient=person,
            consent=consent,
            source=source,
            delivery_request_id=delivery_request_id,
            handout_id=handout_id,
            target_site=target if isinstance(target, Site) else None,
            target_organisation=target if isinstance(target, Organisation) else None,
            shared_categories=categories,
            needs=needs,
            created_by=by,
        )
        ReferralEvent.objects.create(referral=referral, kind=EK.SENT, by=by)
        audit.record_provision(
            food_bank_id=person.food_bank_id,
            subject_ids=[person.pk],
            data_categories=[*categories, "municipality", "needs"],
            basis="consent",
            trigger_type="referral",
            trigger_id=referral.pk,
            recipient_organisation=target.organisation if isinstance(target, Site) else target,
            recipient_name=str(target),
            provided_by=by,
        )
        audit.record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            object_type="referral",
            object_id=referral.pk,
            subject_id=person.pk,
            food_bank_id=person.food_bank_id,
            request=request,
        )
    return referral


def _check_target(target: Site | Organisation, *, food_bank_id: int) -> None:
    sites, organisations = selectors.referral_targets(food_bank_id)
    queryset = sites if isinstance(target, Site) else organisations
    if not queryset.filter(pk=target.pk).exists():
        raise ValueError("A referral goes to an active window or partner agency of the person's food bank.")


def _referral_step(
    *, referral_id: int, to_status: str, by: User | None, note: str = "", kind: str, changes: dict[str, Any]
) -> Referral:
    with transaction.atomic():
        referral = locks.lock_referral(referral_id)
        if to_status not in REFERRAL_TRANSITIONS[referral.status]:
            raise InvalidTransition(
                _("A referral that is %(status)s cannot become %(target)s.")
                % {"status": referral.get_status_display(), "target": RS(to_status).label},
                status=referral.status,
                requested=to_status,
            )
        referral.status = to_status
        for name, value in changes.items():
            setattr(referral, name, value)
        referral.save(update_fields=["status", *changes])
        ReferralEvent.objects.create(referral=referral, kind=kind, by=by, note=note)
        announce_changes()
    return referral


def acknowledge_referral(*, referral_id: int, by: User | None) -> Referral:
    """The target has seen the referral: sent → acknowledged (no escalation after this)."""
    return _referral_step(
        referral_id=referral_id,
        to_status=RS.ACKNOWLEDGED,
        by=by,
        kind=EK.ACKNOWLEDGED,
        changes={"acknowledged_at": timezone.now()},
    )


def record_referral_contact(
    *, referral_id: int, by: User | None, contacted_on: date, outcome: str
) -> Referral:
    """The target reached the person on ``contacted_on``: → contacted, with the outcome."""
    changes: dict[str, Any] = {"contacted_on": contacted_on, "contact_outcome": outcome}
    with transaction.atomic():
        referral = locks.lock_referral(referral_id)
        if referral.acknowledged_at is None and referral.status == RS.SENT:
            changes["acknowledged_at"] = timezone.now()
        return _referral_step(
            referral_id=referral_id,
            to_status=RS.CONTACTED,
            by=by,
            note=outcome,
            kind=EK.CONTACTED,
            changes=changes,
        )


def close_referral(*, referral_id: int, by: User | None, outcome: str) -> Referral:
    """The target (or the coordinator) closes the referral with its outcome."""
    return _referral_step(
        referral_id=referral_id,
        to_status=RS.CLOSED,
        by=by,
        note=outcome,
        kind=EK.CLOSED,
        changes={"closed_at": timezone.now(), "outcome": outcome},
    )


def _honour_referral_withdrawal(*, recipient_id: int, by: User | None, now: datetime) -> int:
    """The person no longer consents to referral: every referral of theirs hides its personal
    details from the target at once, and open ones are closed. Same transaction as the
    withdrawal; returns how many referrals were affected."""
    if selectors.valid_consent(recipient_id=recipient_id, purpose=Purpose.REFERRAL) is not None:
        return 0
    ids = Referral.objects.filter(recipient_id=recipient_id, consent_withdrawn_at__isnull=True).values_list(
        "pk", flat=True
    )
    rows = [r for r in locks.lock_referrals(list(ids)) if r.consent_withdrawn_at is None]
    events = []
    for referral in rows:
        referral.consent_withdrawn_at = now
        events.append(ReferralEvent(referral=referral, kind=EK.CONSENT_WITHDRAWN, by=by))
        if referral.status != RS.CLOSED:
            referral.status = RS.CLOSED
            referral.closed_at = now
            events.append(ReferralEvent(referral=referral, kind=EK.CLOSED, by=by))
    Referral.objects.bulk_update(rows, ["consent_withdrawn_at", "status", "closed_at"])
    ReferralEvent.objects.bulk_create(events)
    if events:
        announce_changes()
    return len(rows)


def escalate_referral(*, referral_id: int) -> bool:
    """Escalate one unacknowledged referral to the coordinators: flag, event, email (after
    commit). Exactly once: the flag is claimed with a conditional UPDATE, so a second run (or a
    second worker) finds nothing to do. Returns whether this call escalated it."""
    with transaction.atomic():
        claimed = Referral.objects.filter(pk=referral_id, status=RS.SENT, escalated_at__isnull=True).update(
            escalated_at=timezone.now()
        )
        if not claimed:
            return False
        ReferralEvent.objects.create(referral_id=referral_id, kind=EK.ESCALATED, by=None)
        outbox.enqueue("referrals.tasks.email_referral_escalation_task", referral_id=referral_id)
    return True


def escalate_overdue_referrals(*, today: date | None = None) -> int:
    """Escalate every referral unacknowledged for ``REFERRAL_ESCALATE_AFTER_WORKING_DAYS``
    working days; returns how many were escalated by this run."""
    today = today or timezone.localdate()
    ids = selectors.referrals_to_escalate(
        today=today, after_working_days=settings.REFERRAL_ESCALATE_AFTER_WORKING_DAYS
    )
    return sum(escalate_referral(referral_id=pk) for pk in ids)
