"""Dispatch batch tasks (see shipping.services for the steps). Ids only; every task is idempotent and
returns early when its work is done, so a message delivered twice, or re-sent by the sweeper after
a worker was killed (acks_late), never duplicates a parcel, a document or a reservation."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import deliveries, services

logger = logging.getLogger(__name__)


@shared_task(name="shipping.tasks.open_due_batches_task", time_limit=120, soft_time_limit=100)
def open_due_batches_task() -> list[int]:
    """Beat, every few minutes: today's batch for each account whose cutoff has passed."""
    return services.open_due_batches()


@shared_task(name="shipping.tasks.build_batch_task", time_limit=900, soft_time_limit=840)
def build_batch_task(batch_id: int) -> str:
    """Gather the batch's parcels (step 1); it then enqueues its chunks."""
    batch = services.plan_batch(batch_id=batch_id)
    return batch.status


@shared_task(name="shipping.tasks.build_chunk_task", time_limit=600, soft_time_limit=540)
def build_chunk_task(batch_id: int, index: int) -> bool:
    """Reserve the stock of one chunk of parcels (step 2); the last chunk enqueues the documents."""
    return services.build_chunk(batch_id=batch_id, index=index)


@shared_task(name="shipping.tasks.build_document_task", time_limit=900, soft_time_limit=840)
def build_document_task(batch_id: int, kind: str) -> bool:
    """Write one document of the batch (step 3); the last marks the batch ready."""
    return services.build_document(batch_id=batch_id, kind=kind)


@shared_task(name="shipping.tasks.resume_stuck_batches_task", time_limit=120, soft_time_limit=100)
def resume_stuck_batches_task() -> list[int]:
    """Beat: re-enqueue the remaining steps of batches that made no progress for a while (a worker
    killed mid-batch); each batch is resumed at most services.MAX_ATTEMPTS times."""
    minutes = getattr(settings, "DISPATCH_STUCK_MINUTES", 15)
    resumed = []
    for batch_id in services.stuck_batches(older_than=timedelta(minutes=minutes)):
        if services.resume_batch(batch_id=batch_id):
            resumed.append(batch_id)
    return resumed


@shared_task(name="shipping.tasks.close_delivered_parcels_task", time_limit=600, soft_time_limit=540)
def close_delivered_parcels_task() -> int:
    """Daily: parcels handed over DELIVERY_ASSUMED_AFTER_DAYS days ago with no return are delivered
    (shipping.deliveries), so their cases close and retention can run."""
    return deliveries.close_delivered()
