#!/usr/bin/env python
"""Fault: the Celery worker building a dispatch batch is SIGKILLed mid-way.

A private Redis (free port) is the broker; a worker PROCESS (``celery worker``, one thread) builds
the batch of N approved requests in chunks of ``--chunk`` parcels. When some chunks are done and
the batch is not ready, the worker is SIGKILLed; a second worker starts. The message the first one
held was never acknowledged (``acks_late``), so Redis redelivers it after the visibility timeout
(set to a few seconds here), and every step is idempotent (chunk rows, unique documents, one parcel
per request). Should the batch still stall, the sweeper (beat's ``resume_stuck_batches_task``) is
called, as beat would. Counts:

- lost: approved requests without a parcel in the batch, parcels without reserved stock;
- duplicated: parcels beyond one per request, reservations beyond one per parcel, documents
  beyond one per kind; and the stock ledger must equal the balances (inventory's check).

Exits 1 on loss, duplication or a ledger difference.

    python bench/fault_worker_killed.py [--requests 200] [--chunk 20]
    (DATABASE_URL=postgres://… uses a fresh ``<name>_faults`` database; default: a temporary SQLite)
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faults import PrivateRedis, WorkerProcess, broker_at, database_url_of, figures, say

VISIBILITY_TIMEOUT = 3


def run(*, account, request_ids: list[int], redis: PrivateRedis, stall_seconds: float = 25.0) -> dict:
    """The scenario, in a configured Django whose ``request_ids`` are approved and stock is there.
    The batch's chunk size is ``settings.DISPATCH_CHUNK_SIZE`` when it is opened."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from inventory.models import Reservation
    from inventory.selectors import ledger_differences
    from shipping import services
    from shipping.models import BatchDocument, DispatchBatch, Parcel

    def worker() -> WorkerProcess:
        return WorkerProcess(
            broker_url=redis.url,
            database_url=database_url_of(connection),
            queue=getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),
            concurrency=1,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        ).start()

    def state():
        return DispatchBatch.objects.values("status", "chunks_done", "chunk_count", "documents_done").get(
            pk=batch.pk
        )

    with broker_at(redis.url):
        first = worker()
        second = None
        try:
            batch, _ = services.open_batch(account_id=account.pk, ship_date=timezone.localdate())
            # The cutoff is in the future, so requests approved a moment ago are in (as tomorrow's).
            DispatchBatch.objects.filter(pk=batch.pk).update(cutoff_at=timezone.now() + timedelta(minutes=5))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                now = state()
                if now["status"] == "ready" or (
                    now["status"] in ("building", "documents") and now["chunks_done"]
                ):
                    break
                time.sleep(0.01)
            first.kill()
            at_kill = state()
            if os.environ.get("FAULT_DEBUG"):
                say(first.log.read_text()[-3000:])
            say(
                f"  worker 1 SIGKILLed with the batch {at_kill['status']}: chunks {at_kill['chunks_done']}/"
                f"{at_kill['chunk_count']}, documents {at_kill['documents_done']}"
            )
            second = worker()
            started = time.monotonic()
            sweeps = 0
            while time.monotonic() - started < 180:
                now = state()
                if now["status"] in ("ready", "failed"):
                    break
                if time.monotonic() - started > stall_seconds * (sweeps + 1):
                    # beat's sweeper, as it would run every DISPATCH_STUCK_MINUTES
                    sweeps += services.resume_batch(batch_id=batch.pk) > 0
                time.sleep(0.2)
            finished_after = time.monotonic() - started
            time.sleep(1)
        finally:
            first.kill()
            if second:
                second.stop()
    final = state()
    parcels = Parcel.objects.filter(batch=batch)
    in_batch = set(parcels.values_list("delivery_request_id", flat=True))
    per_request = parcels.values("delivery_request_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    references = [f"parcel:{ref}" for ref in parcels.values_list("reference", flat=True)]
    reservations = Reservation.objects.filter(reference__in=references).count()
    reserved = parcels.filter(stock_reserved=True).count()
    documents = BatchDocument.objects.filter(batch=batch).count()
    kinds = len(services.document_kinds(account))
    differences = ledger_differences(food_bank_id=account.food_bank_id)
    lost = len(set(request_ids) - in_batch) + (parcels.count() - reserved)
    duplicated = per_request + max(0, reservations - reserved) + max(0, documents - kinds)
    return {
        "tried": len(request_ids),
        "killed_at": at_kill,
        "killed_mid_way": at_kill["status"] != "ready",
        "final": final,
        "finished_after_s": round(finished_after, 1),
        "sweeps": sweeps,
        "parcels": parcels.count(),
        "reservations": reservations,
        "documents": documents,
        "ledger_differences": len(differences),
        "lost": lost,
        "duplicated": duplicated,
    }


def seed(requests: int):
    from datetime import timedelta

    from django.utils import timezone

    from bench.faults import seed_network
    from tests.inventory.factories import PackTypeFactory
    from tests.inventory.helpers import put_stock
    from tests.shipping.integration import approved_requests, make_b2_account

    net = seed_network()
    fb = net.food_bank
    for code, days, order in (("day1", 1, 1), ("day3", 3, 2), ("home", 7, 3)):
        pack_type = PackTypeFactory(food_bank=fb, code=code, name=code, days=days, sort_order=order)
        put_stock(net.warehouse, pack_type=pack_type, quantity=requests + 10)
    account = make_b2_account(fb)
    rows = approved_requests(
        requests,
        case_worker=net.case_worker,
        agency=net.agency_a,
        coordinator=net.coordinator,
        approved_at=timezone.now() - timedelta(hours=1),
    )
    return account, [r.pk for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=20)
    args = parser.parse_args()

    from bench.faults import recreate_database, setup_django

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        url = url + "_faults"
        recreate_database(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='fault-db-')}/db.sqlite3"
    redis = PrivateRedis().start()
    say(f"Worker killed mid-batch: private redis :{redis.port}, database {url.split('@')[-1]}")
    try:
        setup_django(database_url=url, broker_url=redis.url, DISPATCH_CHUNK_SIZE=str(args.chunk))
        account, request_ids = seed(args.requests)
        say(f"  {len(request_ids)} approved requests, chunks of {args.chunk}")
        result = run(account=account, request_ids=request_ids, redis=redis)
    finally:
        redis.stop()
    say(
        f"  the second worker left the batch {result['final']['status']} "
        f"{result['finished_after_s']} s after the kill; sweeper runs needed: {result['sweeps']}"
    )
    say(
        f"  parcels {result['parcels']}, reservations {result['reservations']}, "
        f"documents {result['documents']}, ledger differences {result['ledger_differences']}"
    )
    say(
        figures(
            result["tried"], result["lost"], result["duplicated"], killed_mid_way=result["killed_mid_way"]
        )
    )
    failed = result["lost"] or result["duplicated"] or result["ledger_differences"]
    return 1 if failed or result["final"]["status"] != "ready" else 0


if __name__ == "__main__":
    sys.exit(main())
