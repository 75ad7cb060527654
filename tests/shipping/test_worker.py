"""A real Celery worker builds a chunked batch; the build's queries do not grow with its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Reservation
from shipping.models import BatchChunk, BatchDocument, DispatchBatch, Parcel
from tests.helpers import wait_for

from .integration import approved_requests, run_batch, tomorrow_batch


@pytest.mark.postgres  # chunks are written by parallel workers: SQLite's table locks refuse that
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_a_batch_in_several_chunks(
    celery_worker, settings, network, b2_account, stocked, case_worker_a, coordinator
):
    # given seven approved requests and batches split into three chunks (of three, three and one)
    settings.DISPATCH_CHUNKS = 3
    approved_requests(7, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)

    # when the batch is opened (as beat or a coordinator does: its build goes through the outbox)
    batch = tomorrow_batch(b2_account)

    # then the worker gathers the parcels, builds three chunks and writes every document
    ready = wait_for(
        lambda: DispatchBatch.objects.filter(pk=batch.pk, status="ready").first(),
        timeout=60,
        message="ready batch",
    )
    assert (ready.chunk_count, ready.chunks_done, ready.parcel_count) == (3, 3, 7)
    assert ready.progress == 100
    assert BatchChunk.objects.filter(batch=batch, done_at__isnull=False).count() == 3
    assert sorted(Parcel.objects.filter(batch=batch).values_list("chunk", flat=True)) == [0, 0, 0, 1, 1, 1, 2]
    assert set(Parcel.objects.filter(batch=batch).values_list("status", flat=True)) == {"batched"}
    assert Reservation.objects.filter(reference__startswith="parcel:").count() == 7
    assert BatchDocument.objects.filter(batch=batch).count() == 4


def _build_queries(n, *, network, account, case_worker, coordinator) -> int:
    approved_requests(n, case_worker=case_worker, agency=network.agency_a, coordinator=coordinator)
    batch = tomorrow_batch(account)
    with CaptureQueriesContext(connection) as queries:
        run_batch(batch.pk)
    assert Parcel.objects.filter(batch=batch).count() == n
    return len(queries)


@pytest.mark.postgres  # SQLite splits bulk inserts at 999 parameters, so its count grows in steps
@pytest.mark.django_db
def test_the_number_of_queries_of_a_batch_build_does_not_grow_with_its_size(
    settings, network, stocked, case_worker_a, coordinator
):
    # given batches split into three chunks whatever their size (a chunk task adds a few queries)
    from .integration import make_b2_account

    settings.DISPATCH_CHUNKS = 3
    small = make_b2_account(network.food_bank, name="small")
    large = make_b2_account(network.food_bank, name="large")

    # when a batch of 10 and one of 60 parcels are built
    ten = _build_queries(
        10, network=network, account=small, case_worker=case_worker_a, coordinator=coordinator
    )
    sixty = _build_queries(
        60, network=network, account=large, case_worker=case_worker_a, coordinator=coordinator
    )

    # then both take the same number of queries
    assert sixty == ten
