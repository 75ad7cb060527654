"""B2 rows that B2 accepts (docs/shipping-b2.md): a request whose street B2 Cloud cannot fit, and a
batch whose ship date B2 would refuse, are held back with the reason the coordinator reads on the
batch, and the carrier CSV leaves them out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import api_client_for

from .steps import (
    approve,
    csv_rows,
    document,
    file_request,
    ok,
    page_as,
    parcel_reference,
    parcels_of,
    run_batch,
    wait_ready,
)


def problems_of(batch: dict) -> dict[str, list[tuple[str, str]]]:
    return {
        h["reference"]: [(p["field"], p["code"]) for p in h["problems"] if p["severity"] == "error"]
        for h in batch["held_back"]
    }


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_street_b2_cannot_split_and_a_far_ship_date_are_held_back_with_the_reason(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given one request whose 町・番地 is 19 characters (the address is 56 bytes: under 64) and one
    # that fits
    long_street = file_request(case_worker_a, recipient__address="花園二丁目六番七号小樽駅前第一ビル東側")
    fits = file_request(case_worker_a, recipient__name="佐藤 次郎")
    for filed in (long_street, fits):
        approve(coordinator, filed["id"])

    # when tomorrow's batch is built
    batch = run_batch(coordinator)

    # then the long street is held back naming the part; the other is in the CSV
    parcels = {p["recipient_name"]: p["reference"] for p in parcels_of(volunteer, batch["id"])}
    held = problems_of(batch)
    assert held == {parcels["山田 花子"]: [("recipient_address", "address_part_too_long")]}
    rows = csv_rows(document(coordinator, batch["id"], "carrier_csv"))[1:]
    assert {parcel_reference(r[0]) for r in rows} == {parcels["佐藤 次郎"]}
    # and the coordinator reads why on the batch page
    html = page_as(coordinator, f"/shipping/batches/{batch['id']}/")
    assert "町・番地" in html

    # given a request booked into a batch 31 days ahead (B2 takes today to 30 days ahead)
    later = file_request(case_worker_a, recipient__name="田中 三郎")
    approve(coordinator, later["id"])
    ship_date = (timezone.localdate() + timedelta(days=31)).isoformat()
    opened = ok(
        api_client_for(coordinator).post(
            "/api/v1/dispatch-batches/", {"ship_date": ship_date}, format="json"
        ),
        202,
    )
    far = wait_ready(coordinator, opened["id"])

    # then its parcel is held back with the ship date reason, and the CSV has no row
    (parcel,) = parcels_of(volunteer, far["id"])
    assert problems_of(far) == {parcel["reference"]: [("ship_date", "ship_date_out_of_range")]}
    assert csv_rows(document(coordinator, far["id"], "carrier_csv"))[1:] == []
