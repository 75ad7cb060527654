"""A request's extras reach the box: filed with diapers M × 2 and formula, the volunteer's parcel,
slip, station and pick list name every extra with its size (docs/journeys.md, step "booking")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.helpers import api_client_for

from .steps import (
    approve,
    b2_issued_data,
    document,
    file_request,
    ok,
    page_as,
    parcel_reference,
    parcels_of,
    pdf_text,
    request_as,
    run_batch,
    tracking_number,
)

EXTRAS = [
    {"item": "diapers", "size": "M", "quantity": 2},
    {"item": "formula"},
    {"item": "gas_canister", "quantity": 3},
]


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_extras_with_their_size_reach_the_slip_the_station_and_the_pick_list_until_delivered(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a case worker's request for diapers M × 2, formula and three gas canisters, approved
    filed = file_request(case_worker_a, extras=EXTRAS)
    approve(coordinator, filed["id"])

    # when the coordinator runs tomorrow's batch and the worker builds it
    batch = run_batch(coordinator)

    # then the volunteer's parcel names every extra with its size, totalled by item and size
    (parcel,) = parcels_of(volunteer, batch["id"])
    assert [(e["name"], e["quantity"], e["code"], e["item"], e["size"]) for e in parcel["extras"]] == [
        ("紙おむつ M", 2, "diapers-m", "diapers", "M"),
        ("粉ミルク", 1, "formula", "formula", ""),
        ("カセットボンベ（本数）", 3, "gas-canister", "gas_canister", ""),
    ]

    # and the packing slip, the pick list and the packing station say the same
    slips = pdf_text(document(volunteer, batch["id"], "packing_slips"))
    assert "紙おむつ M" in slips
    assert "粉ミルク" in slips
    pick_list = pdf_text(document(volunteer, batch["id"], "pick_list"))
    assert "紙おむつ M" in pick_list
    assert "カセットボンベ（本数）" in pick_list
    station = page_as(volunteer, f"/shipping/batches/{batch['id']}/pack/?ref={parcel['reference']}")
    assert "紙おむつ M × 2" in station
    assert "粉ミルク × 1" in station

    # when the volunteer packs it, B2 Cloud's issued data comes back and the courier takes it
    ok(api_client_for(volunteer).post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    carrier_csv = document(coordinator, batch["id"], "carrier_csv")
    number = tracking_number(40000000001)
    issued = b2_issued_data(carrier_csv, {parcel["reference"]: number})
    imported = ok(
        api_client_for(coordinator).post(
            f"/api/v1/dispatch-batches/{batch['id']}/tracking-import/",
            {"file": SimpleUploadedFile("issued.csv", issued, content_type="text/csv")},
            format="multipart",
        )
    )
    # (a number per box: the household's food fills two, docs/shipping-b2.md "Several boxes")
    assert {parcel_reference(m["reference"]) for m in imported["matched"]} == {parcel["reference"]}
    assert request_as(case_worker_a, filed["id"])["status"] == "shipped"
    ok(api_client_for(coordinator).post(f"/api/v1/dispatch-batches/{batch['id']}/handed-over/"))
    ok(api_client_for(coordinator).post(f"/api/v1/parcels/{parcel['id']}/delivered/"))

    # then the case worker sees the request delivered, with its tracking number
    seen = request_as(case_worker_a, filed["id"])
    assert seen["status"] == "delivered"
    assert seen["tracking_number"] == number
