"""From delivery request events (and referral steps) to webhook deliveries, after commit only.

``referrals`` announces that events were written (``referrals.services.announce_changes``, one
outbox message per transaction); the message runs ``fan_out`` after commit. It reads the events
the way the changes feed does (``webhooks.changes``: transaction-safe order, nothing skipped), so a
rolled-back change, whose events never commit, sends nothing. Each event becomes one
``WebhookDelivery`` per active endpoint of the request's agency that chose its type (unique per
endpoint and event: running twice adds nothing). The beat runs it every minute as a backstop.
"""

import logging
from collections import defaultdict

from django.db import transaction

from foodbank import outbox
from referrals.models import DeliveryRequest

from . import changes, locks
from .models import FanOutCursor, WebhookDelivery, WebhookEndpoint
from .payloads import DELIVER_TASK

logger = logging.getLogger(__name__)

BATCH = 500
# FanOutCursor rows, one per stream of events.
REQUESTS, REFERRALS = 1, 2


def _read(stream: int, since: changes.Cursor, limit: int) -> changes.ChangePage:
    if stream == REQUESTS:
        return changes.changes_since(requests=DeliveryRequest.objects.all(), since=since, limit=limit)
    return changes.referral_changes_since(since=since, limit=limit)


def _any_after(stream: int, since: changes.Cursor) -> bool:
    if stream == REQUESTS:
        return changes.any_after(since=since)
    return changes.any_referral_after(since=since)


def fan_out(*, limit: int = BATCH) -> tuple[int, bool]:
    """Turn the next events of both streams (request events, referral steps) into deliveries;
    returns (deliveries created, whether to run again soon: more events wait, or committed ones
    are still held back by a running transaction)."""
    created, again = 0, False
    for stream in (REQUESTS, REFERRALS):
        n, more = _fan_out_stream(stream, limit=limit)
        created, again = created + n, again or more
    return created, again


def _fan_out_stream(stream: int, *, limit: int) -> tuple[int, bool]:
    """One stream's next events. Locks its ``FanOutCursor`` row for the transaction: fan-outs of
    a stream run one at a time. No network inside; the sending is ``deliver_endpoint_task``'s,
    scheduled after commit."""
    with transaction.atomic():
        FanOutCursor.objects.get_or_create(pk=stream)
        state = locks.lock_fan_out_cursor(stream)
        since = changes.Cursor(state.xid, state.event_id)
        page = _read(stream, since, limit)
        agencies = {c.agency_id for c in page.changes if c.agency_id is not None}
        endpoints = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(agency_id__in=agencies, revoked_at__isnull=True):
            endpoints[endpoint.agency_id].append(endpoint)
        rows = [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=change.event_id,
                event_seq=change.event_pk,
                request_id=change.request_id,
                event_type=change.type,
                payload=change.body,
            )
            for change in page.changes
            for endpoint in endpoints.get(change.agency_id, ())
            # An endpoint hears of events after it was registered, of the types it chose.
            if change.type in endpoint.events and change.at >= endpoint.created_at
        ]
        created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        state.xid, state.event_id = page.cursor.xid, page.cursor.event_id
        state.save(update_fields=["xid", "event_id", "updated_at"])
        for endpoint_id in sorted({row.endpoint_id for row in rows}):
            outbox.enqueue(DELIVER_TASK, endpoint_id=endpoint_id)
    return len(created), page.has_more or _any_after(stream, page.cursor)
