"""The request workflow the capabilities share: transitions, events, case-worker emails, announcements."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import outbox
from foodbank.exceptions import InvalidTransition

from .. import locks
from ..models import ConsentRecord, DeliveryRequest, DeliveryRequestEvent, Notification

S = DeliveryRequest.Status
Purpose = ConsentRecord.Purpose

# The workflow (docs/spec.md §3.3). Cancelling is allowed until the parcel is packed.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.APPROVED, S.DECLINED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.CANCELLED, S.DECLINED}),
    S.SCHEDULED: frozenset({S.PACKED, S.CANCELLED, S.DECLINED}),
    S.PACKED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
}
# Events the filing case worker is emailed about.
NOTIFY_ON = frozenset({S.APPROVED, S.DECLINED, S.SHIPPED, S.RETURNED})


def _check(request: DeliveryRequest, to_status: str) -> None:
    if to_status not in TRANSITIONS[request.status]:
        raise InvalidTransition(
            _("A request that is %(status)s cannot become %(target)s.")
            % {"status": request.get_status_display(), "target": S(to_status).label},
            status=request.status,
            requested=to_status,
        )


def _apply(
    request: DeliveryRequest,
    to_status: str,
    *,
    by: User | None,
    note: str,
    now: datetime,
    changes: dict[str, Any],
) -> DeliveryRequestEvent:
    """Change a locked request's status and write its event; returns the event (unsaved)."""
    event = DeliveryRequestEvent(
        request=request, by=by, from_status=request.status, to_status=to_status, note=note[:500]
    )
    request.status = to_status
    request.status_changed_at = now
    for name, value in changes.items():
        setattr(request, name, value)
    return event


def announce_changes() -> None:
    """Tell the agencies' systems that request or referral events were written: call it in the
    transaction that writes any ``DeliveryRequestEvent`` or ``ReferralEvent``. One outbox message,
    sent after commit only (a rollback sends nothing); the webhooks' fan-out then reads the new
    events itself, in commit-safe order (docs/webhooks.md). Named by string: ``webhooks`` sits
    above this app."""
    outbox.enqueue(ANNOUNCE_TASK)


# announce_changes' task (by name: ``webhooks`` sits above this app).
ANNOUNCE_TASK = "webhooks.fan_out"


def _after_events(events: list[DeliveryRequestEvent], requests: dict[int, DeliveryRequest]) -> None:
    """Write the events and the notifications they need; schedule the emails after commit."""
    DeliveryRequestEvent.objects.bulk_create(events)
    announce_changes()
    notify = [
        Notification(event=e)
        for e in events
        if e.to_status in NOTIFY_ON and _has_case_worker(requests[e.request_id])
    ]
    if notify:
        # bulk_create sets primary keys on PostgreSQL and SQLite alike (RETURNING).
        created = Notification.objects.bulk_create(notify)
        # By name: tasks call services, so services do not import tasks (no import cycle).
        outbox.enqueue("referrals.tasks.notify_case_worker_task", notification_ids=[n.pk for n in created])


def _has_case_worker(request: DeliveryRequest) -> bool:
    """Requests filed by an agency's case worker (not the Navi) have someone to email."""
    return request.agency_id is not None and request.filed_by_id is not None


def _transition(
    *,
    request_id: int,
    to_status: str,
    by: User | None,
    note: str = "",
    changes: dict[str, Any] | None = None,
    check: Callable[[DeliveryRequest], None] | None = None,
) -> DeliveryRequest:
    with transaction.atomic():
        request = locks.lock_request(request_id)
        _check(request, to_status)
        if check is not None:
            check(request)
        now = timezone.now()
        values = {key: (value(now) if callable(value) else value) for key, value in (changes or {}).items()}
        event = _apply(request, to_status, by=by, note=note, now=now, changes=values)
        request.save(update_fields=["status", "status_changed_at", *values])
        _after_events([event], {request.pk: request})
    return request
