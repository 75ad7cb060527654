"""The shipping API: running batches, reading them, documents by role, packing, tracking import."""

import csv
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from foodbank.models import AuditEvent
from inventory.models import Reservation
from referrals.models import DeliveryRequest
from shipping.models import BatchDocument, DispatchBatch, Parcel

from .integration import approved_requests, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


def number(first_eleven: int) -> str:
    """A tracking number with a correct check digit (the first 11 digits mod 7)."""
    return f"{first_eleven:011d}{first_eleven % 7}"


def issued_file(batch, numbers: list[tuple[str, str]]) -> SimpleUploadedFile:
    """B2 Cloud's issued data: the batch's own CSV with 伝票番号 (column 4) filled in."""
    exported = BatchDocument.objects.get(batch=batch, kind="carrier_csv").file.read().decode("cp932")
    rows = list(csv.reader(io.StringIO(exported, newline="")))
    template = {row[0]: row for row in rows[1:]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for reference, tracking in numbers:
        row = list(template.get(reference, rows[1]))
        row[0], row[3] = reference, tracking
        writer.writerow(row)
    return SimpleUploadedFile("issued.csv", out.getvalue().encode("cp932"), content_type="text/csv")


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    """A ready batch of two parcels for delivery requests (situation note 生活保護申請中)."""
    requests = approved_requests(
        2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator
    )
    batch = run_batch(tomorrow_batch(b2_account).pk)
    return batch, requests


def test_coordinator_runs_a_batch_on_demand_and_gets_202_once(api, coordinator, b2_account):
    # when a coordinator posts the same ship date twice
    first = api(coordinator).post("/api/v1/dispatch-batches/", {"ship_date": "2030-04-01"}, format="json")
    second = api(coordinator).post("/api/v1/dispatch-batches/", {"ship_date": "2030-04-01"}, format="json")

    # then both answer 202 with the same batch
    assert first.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "planning"
    assert first.json()["progress"] == 0
    assert DispatchBatch.objects.count() == 1


def test_volunteer_may_not_run_a_batch_and_nothing_is_written(api, volunteer, b2_account):
    response = api(volunteer).post("/api/v1/dispatch-batches/", {"ship_date": "2030-04-01"}, format="json")
    assert response.status_code == 403
    assert DispatchBatch.objects.count() == 0


def test_batch_detail_shows_counts_held_back_and_document_links(api, volunteer, built):
    batch, _requests = built
    body = api(volunteer).get(f"/api/v1/dispatch-batches/{batch.pk}/").json()
    assert body["status"] == "ready"
    assert body["progress"] == 100
    assert (body["parcels"]["total"], body["parcels"]["packed"], body["parcels"]["left"]) == (2, 0, 2)
    assert body["held_back"] == []
    assert body["documents"]["labels"] is None
    assert body["documents"]["carrier_csv"].endswith(
        f"/api/v1/dispatch-batches/{batch.pk}/documents/carrier_csv/"
    )


def test_volunteer_downloads_slips_but_not_the_carrier_csv(api, volunteer, coordinator, built):
    batch, _requests = built
    slips = api(volunteer).get(f"/api/v1/dispatch-batches/{batch.pk}/documents/packing_slips/")
    assert slips.status_code == 200
    assert b"".join(slips.streaming_content).startswith(b"%PDF")
    assert (
        api(volunteer).get(f"/api/v1/dispatch-batches/{batch.pk}/documents/carrier_csv/").status_code == 403
    )
    assert (
        api(coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/documents/carrier_csv/").status_code == 200
    )


def test_another_food_banks_coordinator_gets_404(api, other_coordinator, built):
    batch, _requests = built
    assert api(other_coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/").status_code == 404


def test_case_worker_may_not_see_batches(api, case_worker_a, built):
    batch, _requests = built
    assert api(case_worker_a).get(f"/api/v1/dispatch-batches/{batch.pk}/").status_code == 403


def test_volunteer_api_never_shows_the_situation_note_or_phone(api, volunteer, built):
    batch, _requests = built
    client = api(volunteer)
    texts = [
        client.get(f"/api/v1/dispatch-batches/{batch.pk}/").content.decode(),
        client.get(f"/api/v1/parcels/?batch={batch.pk}").content.decode(),
    ]
    parcel = Parcel.objects.filter(batch=batch).first()
    texts.append(client.get(f"/api/v1/parcels/{parcel.pk}/").content.decode())
    for text in texts:
        assert "生活保護申請中" not in text
        assert "welfare_pending" not in text
        assert "consent" not in text
        assert "+81" not in text


def test_every_staff_view_of_parcels_is_recorded_with_the_person(api, client, volunteer, built):
    # Given a built batch whose parcels carry their recipients' names and addresses
    batch, _requests = built
    parcel = Parcel.objects.filter(batch=batch).order_by("pk").first()
    person = DeliveryRequest.objects.get(pk=parcel.delivery_request_id).recipient_id
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="parcel", actor=volunteer)

    # When the volunteer lists the batch's parcels and opens one through the API
    assert api(volunteer).get(f"/api/v1/parcels/?batch={batch.pk}").status_code == 200
    assert api(volunteer).get(f"/api/v1/parcels/{parcel.pk}/").status_code == 200
    # and scans that parcel at the packing station
    client.force_login(volunteer)
    assert client.get(f"/shipping/batches/{batch.pk}/pack/", {"ref": parcel.reference}).status_code == 200

    # Then each view is in the audit log: the lists by parcel id, the opened parcel with its person
    lists = views.filter(object_id="list")
    assert lists.count() == 2
    assert all(
        sorted(e.detail["ids"]) == sorted(Parcel.objects.filter(batch=batch).values_list("pk", flat=True))
        for e in lists
    )
    opened = views.filter(object_id=str(parcel.pk))
    assert opened.count() == 2
    assert set(opened.values_list("subject_id", flat=True)) == {person}
    assert {e.path for e in opened} == {
        f"/api/v1/parcels/{parcel.pk}/",
        f"/shipping/batches/{batch.pk}/pack/",
    }


def test_packing_consumes_the_reservation_and_moves_the_request_to_packed(api, volunteer, built):
    batch, (first, _second) = built
    parcel = Parcel.objects.get(batch=batch, delivery_request=first)

    response = api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    again = api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")

    assert response.status_code == 200
    assert response.json()["status"] == "packed"
    assert again.json()["status"] == "packed"
    assert Reservation.objects.get(reference=parcel.reservation_reference).state == "consumed"
    assert DeliveryRequest.objects.get(pk=first.pk).status == "packed"


def test_packing_a_cancelled_request_is_refused_and_changes_nothing(api, volunteer, coordinator, built):
    from referrals import services as referral_services

    batch, (first, _second) = built
    referral_services.cancel_request(request_id=first.pk, by=coordinator, reason="重複")
    parcel = Parcel.objects.get(batch=batch, delivery_request=first)

    response = api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")

    # the cancellation took the parcel out of its batch (docs/journeys.md): packing it is refused
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    parcel.refresh_from_db()
    assert parcel.status == "void"
    assert Reservation.objects.get(reference=parcel.reservation_reference).state == "released"


def test_tracking_import_stores_numbers_ships_packed_requests_and_rejects_bad_rows(
    api, volunteer, coordinator, built
):
    # given a batch of two parcels, the first packed
    batch, (first, second) = built
    p1 = Parcel.objects.get(batch=batch, delivery_request=first)
    p2 = Parcel.objects.get(batch=batch, delivery_request=second)
    api(volunteer).post(f"/api/v1/parcels/{p1.pk}/packed/")
    mail.outbox.clear()
    good1, good2 = number(39045998308), number(39045998309)
    bad_digit = good2[:-1] + str((int(good2[-1]) + 1) % 7)
    rows = [
        (p1.reference, good1),
        (p2.reference, bad_digit),  # row 3: bad check digit
        ("B999-20300101-R1", number(39045998310)),  # row 4: not in this batch
        (p2.reference, good1),  # row 5: a number already on another row
    ]

    # when the coordinator uploads B2's issued data
    response = api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, rows)},
        format="multipart",
    )

    # then the good row matched, each bad one is rejected with its line and reason
    assert response.status_code == 200
    body = response.json()
    reasons = {(r["row"], r["reason"]) for r in body["rejected"]}
    assert (3, "bad_check_digit") in reasons
    assert (4, "unknown_reference") in reasons
    assert reasons == {
        (2, "duplicate_number"),  # one number on two parcels: both rows
        (3, "bad_check_digit"),
        (4, "unknown_reference"),
        (5, "duplicate_number"),
    }
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.tracking_number, p2.tracking_number) == (None, None)
    assert body["matched"] == []


def test_tracking_import_of_a_clean_file_ships_the_packed_request_and_emails_the_case_worker(
    api, volunteer, coordinator, built
):
    batch, (first, second) = built
    p1 = Parcel.objects.get(batch=batch, delivery_request=first)
    p2 = Parcel.objects.get(batch=batch, delivery_request=second)
    api(volunteer).post(f"/api/v1/parcels/{p1.pk}/packed/")
    good1, good2 = number(39045998308), number(39045998309)

    response = api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, [(p1.reference, good1), (p2.reference, good2)])},
        format="multipart",
    )
    again = api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, [(p1.reference, good1), (p2.reference, good2)])},
        format="multipart",
    )

    assert response.status_code == 200
    assert len(response.json()["matched"]) == 2
    assert again.json()["rejected"] == []
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.status, p1.tracking_number) == ("label_issued", good1)
    assert (p2.status, p2.tracking_number) == ("batched", good2)
    assert DeliveryRequest.objects.get(pk=first.pk).status == "shipped"
    assert DeliveryRequest.objects.get(pk=second.pk).status == "scheduled"


def test_tracking_import_by_a_volunteer_is_refused(api, volunteer, built):
    batch, _requests = built
    response = api(volunteer).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\r\n")},
        format="multipart",
    )
    assert response.status_code == 403
