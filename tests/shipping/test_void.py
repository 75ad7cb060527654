"""Voiding a parcel that has not been handed over: stock back, its request or shipment rebooked or
cancelled, documents written again without it, refusals change nothing."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import Balance, Reservation, RestockShipment, StockMovement
from referrals.models import DeliveryRequest
from shipping import services
from shipping.models import BatchDocument, DispatchBatch, Parcel, ParcelEvent

from .integration import approved_requests, run_batch, tomorrow_batch
from .test_api import issued_file, number

pytestmark = pytest.mark.django_db


def balances():
    return list(Balance.objects.order_by("pk").values_list("on_hand", "reserved"))


def snapshot():
    return (
        list(Parcel.objects.order_by("pk").values_list("status", "stock_reserved")),
        ParcelEvent.objects.count(),
        list(Reservation.objects.order_by("pk").values_list("state", flat=True)),
        StockMovement.objects.count(),
        balances(),
        list(DeliveryRequest.objects.order_by("pk").values_list("status", "batch_ref")),
        list(BatchDocument.objects.order_by("pk").values_list("pk", flat=True)),
    )


def rebuild_documents(batch_id: int) -> DispatchBatch:
    """What the document tasks enqueued by a void do (run here, in this process)."""
    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    for kind in services.document_kinds(batch.account):
        services.build_document(batch_id=batch_id, kind=kind)
    return DispatchBatch.objects.get(pk=batch_id)


def csv_references(batch) -> list[str]:
    text = BatchDocument.objects.get(batch=batch, kind="carrier_csv").file.read().decode("cp932")
    return [row[0] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    requests = approved_requests(
        2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator, days_needed=3
    )
    return run_batch(tomorrow_batch(b2_account).pk), requests


def test_rebook_releases_the_stock_approves_the_request_and_rewrites_the_csv(
    api, coordinator, built, network, stocked
):
    # given a ready batch of two parcels with stock reserved
    batch, (first, second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    early = {
        "site": network.warehouse,
        "pack_type": stocked.day3,
        "best_before": timezone.localdate() + timedelta(30),
    }
    assert Balance.objects.get(**early).reserved == 2

    # when a coordinator voids the first to remake it
    response = api(coordinator).post(
        f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "rebook", "note": "箱が破損"}, format="json"
    )

    # then the parcel is void with one event, its reservation released and the request approved
    # again without a batch (the next batch books it)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "void"
    assert body["carrier_instructions"] != ""  # the CSV was written: B2 Cloud may hold the row
    event = ParcelEvent.objects.filter(parcel=parcel).last()
    assert (event.from_status, event.to_status, event.by, event.note) == (
        "batched",
        "void",
        coordinator,
        "rebook: 箱が破損",
    )
    assert Reservation.objects.get(reference=parcel.reservation_reference).state == "released"
    row = Balance.objects.get(**early)
    assert (row.on_hand, row.reserved) == (99, 1)
    first.refresh_from_db()
    assert (first.status, first.batch_ref) == ("approved", "")
    # the packing counts leave it out, and the documents are written again without it
    assert services.batch_counts(batch.pk) == {"total": 1, "packed": 0, "left": 1}
    batch.refresh_from_db()
    assert (batch.status, batch.documents_done) == ("documents", 0)
    batch = rebuild_documents(batch.pk)
    assert batch.status == "ready"
    assert csv_references(batch) == [Parcel.objects.get(delivery_request=second).reference]

    # and the next day's batch books a new parcel for the request
    later, _created = services.open_batch(
        account_id=batch.account_id, ship_date=batch.ship_date + timedelta(days=1)
    )
    DispatchBatch.objects.filter(pk=later.pk).update(cutoff_at=timezone.now() + timedelta(minutes=1))
    run_batch(later.pk)
    again = Parcel.objects.get(delivery_request=first, batch=later)
    assert again.status == "batched"
    assert again.stock_reserved


def test_cancel_cancels_the_request(api, coordinator, built):
    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)

    response = api(coordinator).post(
        f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "cancel", "note": "本人辞退"}, format="json"
    )

    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.status, first.cancel_reason, first.batch_ref) == ("cancelled", "本人辞退", "")
    assert Reservation.objects.get(reference=parcel.reservation_reference).state == "released"


def test_voiding_a_packed_parcel_puts_the_sets_back_on_the_shelf(api, coordinator, volunteer, built):
    # given a packed parcel (its reservation consumed: the sets left the shelf)
    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    before = balances()
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    assert balances() != before

    # when it is voided to be remade
    response = api(coordinator).post(
        f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "rebook"}, format="json"
    )

    # then a correction per packing movement returns the sets: the shelf is as before reserving
    assert response.status_code == 200
    after = balances()
    assert sum(on_hand for on_hand, _r in after) == sum(on_hand for on_hand, _r in before) + 1
    assert sum(reserved for _o, reserved in after) == sum(reserved for _o, reserved in before) - 1
    corrections = StockMovement.objects.filter(kind="correction", reference=parcel.reservation_reference)
    assert [m.quantity for m in corrections] == [1]
    first.refresh_from_db()
    assert (first.status, first.batch_ref) == ("approved", "")


def test_voiding_a_label_issued_parcel_clears_the_shipped_request(api, coordinator, volunteer, built):
    # given a packed parcel whose label B2 Cloud issued (the request was marked shipped)
    batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    tracking = number(12345678901)
    api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, [(parcel.reference, tracking)])},
        format="multipart",
    )
    first.refresh_from_db()
    assert first.status == "shipped"

    # when it is voided before the hand-over
    response = api(coordinator).post(
        f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "rebook"}, format="json"
    )

    # then the carrier says to delete the issued label, and the request is approved again
    assert response.status_code == 200
    assert tracking in response.json()["carrier_instructions"]
    first.refresh_from_db()
    assert (first.status, first.tracking_number, first.shipped_at) == ("approved", "", None)


def test_voiding_twice_writes_one_event(api, coordinator, built):
    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    client = api(coordinator)
    client.post(f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "rebook"}, format="json")
    before = snapshot()

    response = client.post(f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "cancel"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "void"
    assert snapshot() == before
    assert ParcelEvent.objects.filter(parcel=parcel, to_status="void").count() == 1


def test_a_handed_over_parcel_cannot_be_voided_and_nothing_changes(api, coordinator, volunteer, built):
    # given a packed, labelled parcel handed over to the courier
    batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, [(parcel.reference, number(22222222222))])},
        format="multipart",
    )
    assert services.mark_handed_over(batch_id=batch.pk, by=coordinator) == 1
    before = snapshot()

    # when a coordinator tries to void it
    response = api(coordinator).post(
        f"/api/v1/parcels/{parcel.pk}/void/", {"reason": "rebook"}, format="json"
    )

    # then 409 invalid_transition and nothing changed
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "body", "status"),
    [
        ("volunteer", {"reason": "rebook"}, 403),
        ("case_worker_a", {"reason": "rebook"}, 403),
        ("other_coordinator", {"reason": "rebook"}, 404),
        ("coordinator", {"reason": "lost"}, 400),
        ("coordinator", {}, 400),
        ("coordinator", {"reason": "rebook", "note": "x" * 201}, 400),
    ],
)
def test_refused_voids_change_nothing(api, request, built, actor, body, status):
    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    before = snapshot()

    response = api(request.getfixturevalue(actor)).post(
        f"/api/v1/parcels/{parcel.pk}/void/", body, format="json"
    )

    assert response.status_code == status
    if status == 400:
        assert set(response.json()) <= {"reason", "note"}
    assert snapshot() == before


def _approved_restock(network, stocked, coordinator):
    shipment = inventory_services.request_restock(
        site=network.window_a, lines={stocked.day1: 4}, requested_by=coordinator
    )
    return inventory_services.approve_restock(shipment_id=shipment.pk, approved_by=coordinator)


@pytest.mark.parametrize(("reason", "restock_status"), [("rebook", "approved"), ("cancel", "cancelled")])
def test_voiding_a_restock_parcel_unbooks_the_shipment(
    network, local_account, stocked, coordinator, reason, restock_status
):
    # given an approved restock booked into a local batch (its sets reserved)
    shipment = _approved_restock(network, stocked, coordinator)
    before = balances()
    batch = run_batch(tomorrow_batch(local_account).pk)
    parcel = Parcel.objects.get(restock=shipment)
    assert RestockShipment.objects.get(pk=shipment.pk).status == "booked"

    # when the parcel is voided
    services.void_parcel(parcel_id=parcel.pk, by=coordinator, reason=reason)

    # then the reservation is released and the shipment approved again (or cancelled)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.dispatch_reference) == (restock_status, "")
    assert balances() == before
    assert DispatchBatch.objects.get(pk=batch.pk).status == "documents"


def test_voiding_a_packed_restock_parcel_unpacks_it(network, local_account, stocked, coordinator):
    # given a restock parcel packed (its sets written out as in transit)
    shipment = _approved_restock(network, stocked, coordinator)
    before = balances()
    run_batch(tomorrow_batch(local_account).pk)
    parcel = Parcel.objects.get(restock=shipment)
    services.mark_packed(parcel_id=parcel.pk, by=coordinator)
    assert RestockShipment.objects.get(pk=shipment.pk).status == "packed"

    # when it is voided
    services.void_parcel(parcel_id=parcel.pk, by=coordinator, reason="rebook")

    # then the sets are back on the warehouse shelf and the shipment waits for the next batch
    shipment.refresh_from_db()
    assert (shipment.status, shipment.packed_at) == ("approved", None)
    assert balances() == before


@pytest.mark.postgres
def test_void_locks_the_parcel_then_the_batch_before_writing(built, coordinator):
    """A missing lock is hard to catch with a behavioural test: the SQL shows the order. Parcel
    before batch is build_chunk's order (its parcels, then the batch row), so the two never
    deadlock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)

    with CaptureQueriesContext(connection) as captured:
        services.void_parcel(parcel_id=parcel.pk, by=coordinator, reason="rebook")

    sqls = [q["sql"] for q in captured.captured_queries]

    def index_of(predicate) -> int:
        return next(i for i, sql in enumerate(sqls) if predicate(sql))

    parcel_lock = index_of(lambda sql: sql.endswith('FOR UPDATE OF "shipping_parcel"'))
    batch_lock = index_of(lambda sql: sql.endswith('FOR UPDATE OF "shipping_dispatchbatch"'))
    first_write = index_of(lambda sql: sql.startswith(("INSERT", "UPDATE", "DELETE")))
    assert parcel_lock < batch_lock < first_write


# --- A document task racing a void (steps called in the racing order, no sleeps) ------------------


def slip_pages(batch) -> int:
    from pypdf import PdfReader

    document = BatchDocument.objects.get(batch=batch, kind="packing_slips")
    return len(PdfReader(io.BytesIO(document.file.read())).pages)


@pytest.fixture
def planned(network, b2_account, stocked, case_worker_a, coordinator):
    """A batch of two parcels, planned: its chunks and documents still to do."""
    approved_requests(
        2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator, days_needed=3
    )
    batch = tomorrow_batch(b2_account)
    services.plan_batch(batch_id=batch.pk)
    return DispatchBatch.objects.get(pk=batch.pk)


def build_chunks(batch_id: int) -> DispatchBatch:
    for index in range(DispatchBatch.objects.get(pk=batch_id).chunk_count):
        services.build_chunk(batch_id=batch_id, index=index)
    return DispatchBatch.objects.get(pk=batch_id)


def test_a_document_drawn_before_a_void_is_not_stored_and_the_newer_task_leaves_the_parcel_out(
    planned, coordinator
):
    # given the packing-slip task has read the two parcels and drawn them (not stored yet)
    batch = build_chunks(planned.pk)
    voided, kept = Parcel.objects.filter(batch=batch).order_by("pk")
    stale = services.render_document(batch_id=batch.pk, kind="packing_slips")
    assert stale is not None
    assert stale.generation == 0

    # when a coordinator voids one parcel and only then the task stores what it drew
    services.void_parcel(parcel_id=voided.pk, by=coordinator, reason="cancel")
    stored = services.store_document(stale)

    # then the stale slips are not stored (no row, no file, not counted)
    assert stored is False
    batch.refresh_from_db()
    assert batch.documents_generation == 1
    assert batch.documents_done == 0
    assert not BatchDocument.objects.filter(batch=batch).exists()
    assert not services.default_storage.exists(f"shipping/batches/{batch.pk}/packing_slips.pdf")

    # and the tasks the void enqueued write every document without the voided parcel
    batch = rebuild_documents(batch.pk)
    assert (batch.status, batch.documents_done) == ("ready", 4)
    assert slip_pages(batch) == 1
    assert csv_references(batch) == [kept.reference]


def test_a_void_while_the_chunks_run_rewrites_the_documents_written_already(planned, coordinator):
    # given the slips were written beside the chunks, while the batch was still building
    batch = planned
    assert batch.status == "building"
    assert services.build_document(batch_id=batch.pk, kind="packing_slips") is True
    assert slip_pages(batch) == 2
    voided = Parcel.objects.filter(batch=batch).order_by("pk").first()

    # when a parcel is voided before the batch is ready
    services.void_parcel(parcel_id=voided.pk, by=coordinator, reason="rebook")

    # then the slips are gone, the batch still building, and written again without the parcel
    batch.refresh_from_db()
    assert (batch.status, batch.documents_done, batch.documents_generation) == ("building", 0, 1)
    assert not BatchDocument.objects.filter(batch=batch).exists()
    batch = rebuild_documents(batch.pk)
    assert (batch.status, batch.documents_done) == ("building", 4)
    assert slip_pages(batch) == 1
    assert build_chunks(batch.pk).status == "ready"


def test_a_duplicate_document_task_stores_nothing_the_second_time(planned):
    # given two deliveries of the same task message drew the same document
    first = services.render_document(batch_id=planned.pk, kind="manifest")
    second = services.render_document(batch_id=planned.pk, kind="manifest")

    # when both store it
    stored = [services.store_document(first), services.store_document(second)]

    # then one row, counted once
    assert stored == [True, False]
    assert BatchDocument.objects.filter(batch=planned, kind="manifest").count() == 1
    assert DispatchBatch.objects.get(pk=planned.pk).documents_done == 1
