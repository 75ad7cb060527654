"""Dispatch batches: the cutoff job, building in steps, re-running, stock reservation, documents."""

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Balance, Reservation
from referrals.models import DeliveryRequest
from shipping import services
from shipping.models import BatchDocument, DispatchBatch, Parcel, ParcelEvent

from .integration import approved_requests, at_local, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


def test_batch_books_one_parcel_per_request_reserves_stock_and_writes_documents(
    network, b2_account, stocked, case_worker_a, coordinator
):
    # given three approved requests (3 days of food each) and stock at the warehouse
    requests = approved_requests(
        3, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator, days_needed=3
    )
    batch = tomorrow_batch(b2_account)

    # when the batch is built
    batch = run_batch(batch.pk)

    # then it is ready with one batched parcel per request, stock reserved FEFO, four documents
    assert batch.status == DispatchBatch.Status.READY
    assert batch.progress == 100
    parcels = list(Parcel.objects.filter(batch=batch).order_by("pk"))
    assert [p.delivery_request_id for p in parcels] == [r.pk for r in requests]
    assert {p.status for p in parcels} == {Parcel.Status.BATCHED}
    assert all(p.stock_reserved for p in parcels)
    assert parcels[0].packing["contents"][0]["pack_type"] == "day3"
    early = Balance.objects.get(
        site=network.warehouse, pack_type=stocked.day3, best_before=timezone.localdate() + timedelta(days=30)
    )
    assert (early.on_hand, early.reserved) == (97, 3)
    assert Reservation.objects.filter(reference__startswith="parcel:").count() == 3
    assert set(
        DeliveryRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", flat=True)
    ) == {"scheduled"}
    kinds = set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True))
    assert kinds == {"pick_list", "packing_slips", "carrier_csv", "manifest"}
    csv = BatchDocument.objects.get(batch=batch, kind="carrier_csv").file.read()
    assert batch.held_back == []
    assert csv.count(b"\r\n") == 4  # the header and three parcels


def test_rerunning_every_step_duplicates_nothing(network, b2_account, stocked, case_worker_a, coordinator):
    # given a built batch
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(b2_account).pk)
    before = (
        Parcel.objects.count(),
        ParcelEvent.objects.count(),
        Reservation.objects.count(),
        BatchDocument.objects.count(),
        list(Balance.objects.order_by("pk").values_list("on_hand", "reserved")),
    )

    # when every step runs again (a message delivered twice, the sweeper)
    run_batch(batch.pk)
    services.open_batch(account_id=b2_account.pk, ship_date=batch.ship_date)
    services.resume_batch(batch_id=batch.pk)

    # then nothing was added or moved
    after = (
        Parcel.objects.count(),
        ParcelEvent.objects.count(),
        Reservation.objects.count(),
        BatchDocument.objects.count(),
        list(Balance.objects.order_by("pk").values_list("on_hand", "reserved")),
    )
    assert after == before
    assert DispatchBatch.objects.count() == 1


def test_beat_job_at_cutoff_takes_requests_approved_before_it_and_leaves_later_ones_for_the_next_day(
    network, b2_account, stocked, case_worker_a, coordinator
):
    # given one request approved at 14:00 and one at 15:30 today, and the cutoff at 15:00
    today = timezone.localdate()
    (early,) = approved_requests(
        1,
        case_worker=case_worker_a,
        agency=network.agency_a,
        coordinator=coordinator,
        approved_at=at_local(today, 14),
    )
    (late,) = approved_requests(
        1,
        case_worker=case_worker_a,
        agency=network.agency_a,
        coordinator=coordinator,
        approved_at=at_local(today, 15, 30),
    )

    # when the beat job runs at 14:55, then at 15:05, and again at 15:10
    assert services.open_due_batches(now=at_local(today, 14, 55)) == []
    created = services.open_due_batches(now=at_local(today, 15, 5))
    assert services.open_due_batches(now=at_local(today, 15, 10)) == []

    # then one batch for today, holding only the request approved before the cutoff
    (batch_id,) = created
    batch = run_batch(batch_id)
    assert batch.ship_date == today
    assert list(Parcel.objects.filter(batch=batch).values_list("delivery_request_id", flat=True)) == [
        early.pk
    ]

    # and the next day's batch takes the later one
    tomorrow = today + timedelta(days=1)
    (next_id,) = services.open_due_batches(now=at_local(tomorrow, 15, 5))
    run_batch(next_id)
    assert list(Parcel.objects.filter(batch_id=next_id).values_list("delivery_request_id", flat=True)) == [
        late.pk
    ]


def test_short_stock_is_reported_on_the_parcel_and_nothing_is_reserved_for_it(
    network, b2_account, catalogue, case_worker_a, coordinator
):
    # given two requests for 3 days but one day3 set in stock
    from tests.inventory.helpers import put_stock

    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=1)
    first, second = approved_requests(
        2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator, days_needed=3
    )

    # when the batch is built
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # then the first got the set, the second is flagged short
    got = {p.delivery_request_id: p for p in Parcel.objects.filter(batch=batch)}
    assert got[first.pk].stock_reserved is True
    assert got[second.pk].stock_reserved is False
    assert got[second.pk].stock_problem == [{"sku": "day3", "requested": 1, "available": 0}]


def test_a_batch_is_split_into_the_configured_number_of_chunks_whatever_its_size(
    settings, network, b2_account, stocked, case_worker_a, coordinator
):
    # given five approved requests and batches split into two chunks
    settings.DISPATCH_CHUNKS = 2
    approved_requests(5, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)

    # when the batch is planned
    batch = services.plan_batch(batch_id=tomorrow_batch(b2_account).pk)

    # then its parcels are in two chunks of three and two
    assert (batch.chunk_count, batch.chunk_size, batch.parcel_count) == (2, 3, 5)
    chunks = list(Parcel.objects.filter(batch=batch).order_by("pk").values_list("chunk", flat=True))
    assert chunks == [0, 0, 0, 1, 1]


def test_documents_written_before_the_chunks_finish_the_batch_only_with_the_last_chunk(
    network, b2_account, stocked, case_worker_a, coordinator
):
    # given a planned batch of three parcels
    approved_requests(3, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = services.plan_batch(batch_id=tomorrow_batch(b2_account).pk)
    assert batch.status == DispatchBatch.Status.BUILDING

    # when every document is written before any chunk has reserved stock
    for kind in services.document_kinds(b2_account):
        assert services.build_document(batch_id=batch.pk, kind=kind) is True

    # then the batch still waits for its chunks
    waiting = DispatchBatch.objects.get(pk=batch.pk)
    assert (waiting.status, waiting.documents_done, waiting.chunks_done) == ("building", 4, 0)
    assert waiting.finished_at is None

    # and the last chunk makes it ready, with every parcel batched and reserved
    for index in range(waiting.chunk_count):
        services.build_chunk(batch_id=batch.pk, index=index)
    ready = DispatchBatch.objects.get(pk=batch.pk)
    assert ready.status == DispatchBatch.Status.READY
    assert ready.finished_at is not None
    parcels = Parcel.objects.filter(batch=batch)
    assert {(p.status, p.stock_reserved) for p in parcels} == {("batched", True)}
    assert ParcelEvent.objects.filter(parcel__batch=batch, to_status="batched").count() == 3


def test_documents_read_the_same_parcel_data_as_the_model_gives(
    network, b2_account, stocked, case_worker_a, coordinator
):
    # given a built batch
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(b2_account).pk)

    # then the rows the carrier's file reads make the same ParcelData as Parcel.as_data()
    rows = services._batch_rows(batch, BatchDocument.Kind.CARRIER_CSV)
    models = list(Parcel.objects.filter(batch=batch).order_by("pk"))
    assert [services._row_data(row) for row in rows] == [p.as_data() for p in models]
    assert all(row["recipient_phone"] for row in rows)
    # and the other documents read no more than they print: no phone on the slips, and neither
    # name, address nor phone for the pick list and the manifest
    slips = services._batch_rows(batch, BatchDocument.Kind.PACKING_SLIPS)
    assert "recipient_phone" not in slips[0]
    assert [services._row_data(row) for row in slips] == [
        dataclasses.replace(p.as_data(), recipient_phone="") for p in models
    ]
    personal = {"recipient_name", "recipient_name_kana", "recipient_phone", "address", "building"}
    for kind in (BatchDocument.Kind.PICK_LIST, BatchDocument.Kind.MANIFEST):
        assert not personal & set(services._batch_rows(batch, kind)[0])
    pick = [services._row_data(row) for row in services._batch_rows(batch, BatchDocument.Kind.PICK_LIST)]
    assert [(p.reference, p.notes) for p in pick] == [(m.reference, m.as_data().notes) for m in models]
    manifest = services._batch_rows(batch, BatchDocument.Kind.MANIFEST)
    assert [(r["reference"], r["postal_code"]) for r in manifest] == [
        (m.reference, m.postal_code) for m in models
    ]


def test_a_batch_left_mid_way_by_a_killed_worker_is_resumed_with_what_is_left_and_completes(
    settings, network, b2_account, stocked, case_worker_a, coordinator
):
    from foodbank.models import OutboxMessage

    # given a batch in two chunks whose first chunk and slips were built before the worker died
    settings.DISPATCH_CHUNKS = 2
    approved_requests(4, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = services.plan_batch(batch_id=tomorrow_batch(b2_account).pk)
    services.build_chunk(batch_id=batch.pk, index=0)
    services.build_document(batch_id=batch.pk, kind="packing_slips")
    OutboxMessage.objects.all().delete()

    # when the sweeper resumes it
    sent = services.resume_batch(batch_id=batch.pk)

    # then exactly the missing chunk and the three missing documents are enqueued again
    tasks = sorted(
        (m.task_name.rsplit(".", 1)[1], m.kwargs.get("index", m.kwargs.get("kind")))
        for m in OutboxMessage.objects.all()
    )
    assert sent == 4
    assert tasks == [
        ("build_chunk_task", 1),
        ("build_document_task", "carrier_csv"),
        ("build_document_task", "manifest"),
        ("build_document_task", "pick_list"),
    ]

    # and running them finishes the batch without duplicating anything
    services.build_chunk(batch_id=batch.pk, index=1)
    for kind in ("carrier_csv", "manifest", "pick_list", "packing_slips"):
        services.build_document(batch_id=batch.pk, kind=kind)
    done = DispatchBatch.objects.get(pk=batch.pk)
    assert (done.status, done.chunks_done, done.documents_done) == ("ready", 2, 4)
    assert Reservation.objects.filter(reference__startswith="parcel:").count() == 4
    assert ParcelEvent.objects.filter(parcel__batch=batch, to_status="batched").count() == 4
    assert BatchDocument.objects.filter(batch=batch).count() == 4
