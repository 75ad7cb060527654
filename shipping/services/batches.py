"""Opening dispatch batches, enqueuing their steps, moving them on, resuming stuck ones."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from foodbank.outbox import enqueue

from .. import locks
from ..models import BatchChunk, BatchDocument, CarrierAccount, DispatchBatch

B = DispatchBatch.Status
K = BatchDocument.Kind

# A batch stuck in a step is resumed by the sweeper at most this many times, then marked failed.
MAX_ATTEMPTS = 5
BUILD_TASK = "shipping.tasks.build_batch_task"
CHUNK_TASK = "shipping.tasks.build_chunk_task"
DOCUMENT_TASK = "shipping.tasks.build_document_task"


def dispatch_chunks() -> int:
    """How many chunks a batch is split into (``settings.DISPATCH_CHUNKS``), whatever its size."""
    return max(1, int(getattr(settings, "DISPATCH_CHUNKS", 4)))


def document_kinds(account: CarrierAccount) -> list[str]:
    """Yamato batches get the B2 Cloud CSV (B2 prints the labels); local ones our own labels."""
    carrier_file = K.CARRIER_CSV if account.carrier == "yamato" else K.LABELS
    return [K.PICK_LIST, K.PACKING_SLIPS, carrier_file, K.MANIFEST]


def open_batch(*, account_id: int, ship_date: date, by: User | None = None) -> tuple[DispatchBatch, bool]:
    """The batch of ``account_id`` for ``ship_date``, created (and its build enqueued) when missing.

    ``(account, ship_date)`` is unique: two beat processes or a coordinator at the same moment get
    the same batch and only the creator enqueues its build.
    """
    with transaction.atomic():
        account = CarrierAccount.objects.get(pk=account_id)
        batch, created = DispatchBatch.objects.get_or_create(
            account=account,
            ship_date=ship_date,
            defaults={
                "food_bank_id": account.food_bank_id,
                "cutoff_at": account.cutoff_on(ship_date),
                "created_by": by if getattr(by, "pk", None) else None,
            },
        )
        if created:
            enqueue(BUILD_TASK, batch_id=batch.pk)
    return batch, created


def open_due_batches(*, now: datetime | None = None) -> list[int]:
    """For the beat job: every active account whose cutoff has passed today, on a pickup day, gets
    today's batch (once). Returns the ids of the batches created now."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    created = []
    for account in CarrierAccount.objects.filter(active=True).order_by("pk"):
        if today.weekday() not in account.weekdays or local.time() < account.cutoff_time:
            continue
        batch, new = open_batch(account_id=account.pk, ship_date=today)
        if new:
            created.append(batch.pk)
    return created


def _enqueue_remaining(batch: DispatchBatch) -> int:
    """Enqueue the tasks of the batch's current step that are not done yet (inside a transaction).

    While the chunks reserve stock the documents are written too: they are drawn from the parcels
    booked by the plan and do not depend on the reservations, so both run side by side on the
    workers. The packing slips go first (the longest task), then the carrier's file, then the
    chunks, then the rest: the longest first, so that both processes finish about together.
    """
    sent = 0
    if batch.status in (B.BUILDING, B.DOCUMENTS):
        have = set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True))
        kinds = [k for k in document_kinds(batch.account) if k not in have]
        # The longest first: the slips, then the carrier's file (decrypts every phone number).
        first: list[str] = [k for k in (K.PACKING_SLIPS, K.CARRIER_CSV, K.LABELS) if k in kinds]
        chunks = []
        if batch.status == B.BUILDING:
            chunks = list(
                BatchChunk.objects.filter(batch=batch, done_at__isnull=True).values_list("index", flat=True)
            )
        for kind in first:
            enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
        for index in chunks:
            enqueue(CHUNK_TASK, batch_id=batch.pk, index=index)
        for kind in kinds:
            if kind not in first:
                enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
        sent = len(kinds) + len(chunks)
    elif batch.status == B.PLANNING:
        enqueue(BUILD_TASK, batch_id=batch.pk)
        sent += 1
    return sent


def _advance(batch_id: int, now: datetime) -> None:
    """After a chunk or a document: the batch is ready when every chunk and every document is done,
    and moves from ``building`` to ``documents`` when only documents are left. Call it after the
    step's counter UPDATE, in the same transaction: that UPDATE holds the batch row's lock, so of two
    steps finishing at the same moment the second sees both counters."""
    ready = DispatchBatch.objects.filter(
        pk=batch_id,
        status__in=(B.BUILDING, B.DOCUMENTS),
        chunks_done__gte=F("chunk_count"),
        documents_done__gte=F("documents_wanted"),
    ).update(status=B.READY, finished_at=now, updated_at=now)
    if not ready:
        DispatchBatch.objects.filter(
            pk=batch_id, status=B.BUILDING, chunks_done__gte=F("chunk_count")
        ).update(status=B.DOCUMENTS, updated_at=now)


# --- Resuming -------------------------------------------------------------------------------------


def resume_batch(*, batch_id: int) -> int:
    """Enqueue whatever the batch's current step still needs (a build interrupted by a killed
    worker). Counts an attempt; after MAX_ATTEMPTS the batch is marked failed. Returns tasks sent."""
    with transaction.atomic():
        batch = locks.lock_batch(batch_id)
        if batch.status in (B.READY, B.FAILED):
            return 0
        if batch.attempts >= MAX_ATTEMPTS:
            batch.status = B.FAILED
            batch.last_error = f"gave up after {batch.attempts} attempts"
            batch.save(update_fields=["status", "last_error", "updated_at"])
            return 0
        batch.attempts += 1
        batch.save(update_fields=["attempts", "updated_at"])
        return _enqueue_remaining(batch)


def stuck_batches(*, older_than: timedelta) -> list[int]:
    return list(
        DispatchBatch.objects.filter(
            status__in=(B.PLANNING, B.BUILDING, B.DOCUMENTS), updated_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
