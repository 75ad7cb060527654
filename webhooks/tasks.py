"""Celery tasks of the webhooks: fan-out of events after commit, sending per endpoint.

Both are idempotent: the fan-out's deliveries are unique per event and endpoint, and a delivery is
claimed before it is sent. Retries are not Celery retries: the due time is kept on the delivery
(``next_attempt_at``) and the task schedules itself for it; the beat's ``deliver_due_webhooks_task``
catches any that a lost message left behind.
"""

import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import fanout, sending
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

# While a running transaction holds committed events back, look again this soon (seconds).
FAN_OUT_AGAIN = 1.0


@shared_task(name="webhooks.fan_out", ignore_result=True, time_limit=120, soft_time_limit=100)
def fan_out_task() -> int:
    """Deliveries for the events written since the last run (outbox, after commit; beat too)."""
    created, again = fanout.fan_out()
    if again:
        fan_out_task.apply_async(countdown=FAN_OUT_AGAIN)
    return created


@shared_task(
    name="webhooks.tasks.deliver_endpoint_task",
    ignore_result=True,
    # Each POST has its own timeout (WEBHOOK_TIMEOUT_SECONDS); a run sends at most MAX_PER_RUN.
    time_limit=30 * 60,
    soft_time_limit=29 * 60,
)
def deliver_endpoint_task(endpoint_id: int) -> int:
    """Send the endpoint's due deliveries in order; schedule itself for the next retry."""
    sent, wait = sending.deliver_endpoint(endpoint_id=endpoint_id)
    if sent >= sending.MAX_PER_RUN:
        deliver_endpoint_task.apply_async(kwargs={"endpoint_id": endpoint_id})
    elif wait is not None:
        deliver_endpoint_task.apply_async(kwargs={"endpoint_id": endpoint_id}, countdown=wait)
    return sent


@shared_task(name="webhooks.tasks.deliver_due_webhooks_task", ignore_result=True, time_limit=60)
def deliver_due_webhooks_task() -> int:
    """Beat: a sending task for every endpoint with a delivery due (and the fan-out backstop)."""
    fan_out_task.delay()
    now = timezone.now()
    endpoint_ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, endpoint__revoked_at__isnull=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    for endpoint_id in endpoint_ids:
        deliver_endpoint_task.delay(endpoint_id=endpoint_id)
    return len(endpoint_ids)
