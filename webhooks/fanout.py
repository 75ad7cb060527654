"""From delivery request events to webhook deliveries, after commit only.

``referrals`` announces that events were written (``referrals.services._announce_changes``, one
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

from . import changes
from .models import FanOutCursor, WebhookDelivery, WebhookEndpoint
from .payloads import DELIVER_TASK

logger = logging.getLogger(__name__)

BATCH = 500


def fan_out(*, limit: int = BATCH) -> tuple[int, bool]:
    """Turn the next events into deliveries; returns (deliveries created, whether to run again
    soon: more events wait, or committed ones are still held back by a running transaction).

    Locks the single ``FanOutCursor`` row for the transaction: fan-outs run one at a time. No
    network inside; the sending is ``deliver_endpoint_task``'s, scheduled after commit.
    """
    with transaction.atomic():
        FanOutCursor.objects.get_or_create(pk=1)
        state = FanOutCursor.objects.select_for_update().get(pk=1)
        since = changes.Cursor(state.xid, state.event_id)
        page = changes.changes_since(requests=DeliveryRequest.objects.all(), since=since, limit=limit)
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
    again = page.has_more or changes.any_after(since=page.cursor)
    return len(created), again
