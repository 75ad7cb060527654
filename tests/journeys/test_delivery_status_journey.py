"""The courier's delivery status imported from a file (docs/shipping-b2.md, "Delivery status"):
配達完了 closes a parcel as delivered, 返品 as returned (its pack back in stock once), rows that name
no parcel of the food bank (another food bank's included) or two different parcels are refused with
nothing written, and importing the same file again changes nothing. The case worker then sees each
request's outcome."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from shipping.models import Parcel, ParcelEvent
from tests.helpers import api_client_for
from tests.shipping.integration import make_b2_account

from .steps import ok, request_as, tracking_number
from .test_delivery_journey import _handed_over, _home_sets


def status_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """What staff save from Yamato's tracking results: a header row and one row per box."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["お客様管理番号", "伝票番号", "荷物状況"])
    writer.writerows(rows)
    return out.getvalue().encode("cp932")


def upload(coordinator, batch_id: int, data: bytes) -> dict:
    return ok(
        api_client_for(coordinator).post(
            f"/api/v1/dispatch-batches/{batch_id}/delivery-status/",
            {"file": SimpleUploadedFile("status.csv", data, content_type="text/csv")},
            format="multipart",
        )
    )


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_couriers_status_file_closes_parcels_and_the_case_worker_sees_it(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given three parcels handed over to Yamato, and another food bank's parcel handed over too
    batch, parcels, filed = _handed_over(case_worker_a, coordinator, volunteer, 3)
    numbers = {
        p["reference"]: ok(api_client_for(coordinator).get(f"/api/v1/parcels/{p['id']}/"))["tracking_number"]
        for p in parcels
    }
    delivered, returned, on_the_way = parcels
    other_number = tracking_number(61000000001)
    other = Parcel.objects.create(
        food_bank=network.other_food_bank,
        account=make_b2_account(network.other_food_bank),
        reference="B999-20261201-R1",
        source=Parcel.Source.DELIVERY_REQUEST,
        source_key="request:other",
        recipient_name="他団体 利用者",
        ship_date=timezone.localdate(),
        status=Parcel.Status.HANDED_OVER,
        tracking_number=other_number,
    )
    on_shelf = _home_sets(coordinator, network.warehouse)
    data = status_csv(
        [
            (delivered["reference"], numbers[delivered["reference"]], "配達完了"),
            ("", numbers[returned["reference"]], "返品"),
            (on_the_way["reference"], numbers[on_the_way["reference"]], "配達中"),
            ("", other_number, "配達完了"),
            ("B1-20000101-R404", "", "配達完了"),
            (delivered["reference"], numbers[returned["reference"]], "配達完了"),
        ]
    )

    # when the coordinator imports it
    result = upload(coordinator, batch["id"], data)

    # then one parcel is delivered, one returned, one still on the way, and three rows refused
    assert (result["delivered"], result["returned"], result["unchanged"], result["in_transit"]) == (
        [delivered["reference"]],
        [returned["reference"]],
        [],
        1,
    )
    assert [(r["row"], r["reason"]) for r in result["rejected"]] == [
        (5, "unknown_parcel"),
        (6, "unknown_parcel"),
        (7, "reference_number_mismatch"),
    ]
    assert result["rejected_by_reason"] == {"reference_number_mismatch": 1, "unknown_parcel": 2}
    # and the case worker sees each request's outcome
    seen = [request_as(case_worker_a, r["id"])["status"] for r in filed]
    assert seen == ["delivered", "returned", "shipped"]
    # and the returned box's pack is back on the shelf
    assert _home_sets(coordinator, network.warehouse) == on_shelf + 1
    # and nothing was written for the other food bank's parcel
    other.refresh_from_db()
    assert other.status == Parcel.Status.HANDED_OVER
    assert not ParcelEvent.objects.filter(parcel=other).exists()

    # when the same file is imported again (from the batch page this time)
    events = ParcelEvent.objects.count()
    client = Client()
    client.force_login(coordinator)
    page = client.post(
        f"/shipping/batches/{batch['id']}/delivery-status/",
        {"file": SimpleUploadedFile("status.csv", data, content_type="text/csv")},
    )

    # then nothing changes: no event, the pack is not returned twice, the page says what happened
    assert page.status_code == 200
    html = page.content.decode()
    assert "unknown_parcel" in html
    assert "reference_number_mismatch" in html
    assert ParcelEvent.objects.count() == events
    assert _home_sets(coordinator, network.warehouse) == on_shelf + 1
    again = upload(coordinator, batch["id"], data)
    assert (again["delivered"], again["returned"]) == ([], [])
    assert sorted(again["unchanged"]) == sorted([delivered["reference"], returned["reference"]])
    assert [request_as(case_worker_a, r["id"])["status"] for r in filed] == seen


@pytest.mark.django_db
def test_a_file_without_the_columns_is_refused_and_only_coordinators_import(
    network, b2_account, coordinator, volunteer
):
    from shipping.models import DispatchBatch

    batch = DispatchBatch.objects.create(
        food_bank=network.food_bank,
        account=b2_account,
        ship_date=timezone.localdate(),
        cutoff_at=timezone.now(),
    )
    no_status = "伝票番号\r\n123456789013\r\n".encode("cp932")
    response = api_client_for(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/delivery-status/",
        {"file": SimpleUploadedFile("status.csv", no_status, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload"
    refused = api_client_for(volunteer).post(
        f"/api/v1/dispatch-batches/{batch.pk}/delivery-status/",
        {"file": SimpleUploadedFile("status.csv", status_csv([]), content_type="text/csv")},
        format="multipart",
    )
    assert refused.status_code == 403
