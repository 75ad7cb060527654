"""A corrected address reaches a re-issued label (docs/journeys.md): a request filed with the wrong
address, approved and booked into a batch, is corrected by the coordinator; the parcel is rebuilt
from the corrected request, the batch's documents are written again by the worker (the B2 Cloud CSV
row, or our own label PDF, shows the new address), and a label already issued in B2 Cloud with the
old address is forgotten, with what to do there on the batch page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipping.models import BatchDocument
from tests.helpers import api_client_for
from tests.shipping.integration import make_local_account

from .steps import (
    approve,
    b2_issued_data,
    csv_rows,
    document,
    file_request,
    ok,
    page_as,
    parcels_of,
    pdf_text,
    request_as,
    run_batch,
    tracking_number,
    wait_ready,
)

OLD_STREET, NEW_STREET = "花園2丁目6-7", "花園3丁目1-2"
OLD_BUILDING, NEW_BUILDING = "花園ハイツ101", "緑ハイツ305"


def _scheduled(case_worker, coordinator) -> tuple[dict, dict]:
    """One request of one person (one box: one B2 row), approved and booked into tomorrow's ready batch."""
    filed = file_request(
        case_worker, household={"adults": 1, "children": 0, "infants": 0, "type": "single"}, days_needed=7
    )
    approve(coordinator, filed["id"])
    batch = run_batch(coordinator)
    assert request_as(case_worker, filed["id"])["status"] == "scheduled"
    return filed, batch


def _correct_address(coordinator, request_id: int) -> dict:
    client = api_client_for(coordinator)
    etag = client.get(f"/api/v1/delivery-requests/{request_id}/")["ETag"]
    response = client.patch(
        f"/api/v1/delivery-requests/{request_id}/",
        {"address": {"postal_code": "047-0024", "address": NEW_STREET, "building": NEW_BUILDING}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    return ok(response)


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_corrected_address_reaches_the_b2_csv_and_the_issued_label_is_called_back(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a scheduled request whose label was already issued in B2 Cloud with the old address
    filed, batch = _scheduled(case_worker_a, coordinator)
    (parcel,) = parcels_of(coordinator, batch["id"])
    carrier_csv = document(coordinator, batch["id"], "carrier_csv")
    (row,) = csv_rows(carrier_csv)[1:]
    assert OLD_STREET in "".join(row)
    old_number = tracking_number(40000000001)
    ok(
        api_client_for(coordinator).post(
            f"/api/v1/dispatch-batches/{batch['id']}/tracking-import/",
            {
                "file": SimpleUploadedFile(
                    "issued.csv", b2_issued_data(carrier_csv, {parcel["reference"]: old_number}), "text/csv"
                )
            },
            format="multipart",
        )
    )
    assert ok(api_client_for(coordinator).get(f"/api/v1/parcels/{parcel['id']}/"))["tracking_number"] == (
        old_number
    )

    # when the coordinator corrects the address (the person gave the wrong street and room)
    corrected = _correct_address(coordinator, filed["id"])

    # then the request reads corrected and still scheduled, with the correction in its history
    assert corrected["status"] == "scheduled"
    assert corrected["recipient"]["address"] == NEW_STREET
    assert corrected["events"][-1]["fields"] == ["address"]
    # and the same parcel (same reference, still in the batch) carries the new address, and the
    # old label's number no more
    again = ok(api_client_for(coordinator).get(f"/api/v1/parcels/{parcel['id']}/"))
    assert again["reference"] == parcel["reference"]
    assert again["status"] == "batched"
    assert again["tracking_number"] is None
    assert again["box_numbers"] == []
    # and the worker wrote the B2 Cloud CSV again: its row has the new address
    wait_ready(coordinator, batch["id"])
    (new_row,) = csv_rows(document(coordinator, batch["id"], "carrier_csv"))[1:]
    assert new_row[0] == parcel["reference"]
    assert NEW_STREET in "".join(new_row)
    assert NEW_BUILDING in new_row
    assert OLD_STREET not in "".join(new_row)
    # and the batch page tells the coordinator to delete the old label in B2 Cloud and issue it again
    page = page_as(coordinator, f"/shipping/batches/{batch['id']}/")
    relabelled = page.split('id="relabelled-heading"')[1].split("</section>")[0]
    assert parcel["reference"] in relabelled
    assert old_number in relabelled
    assert "B2" in relabelled
    # and the address is nowhere in the page's notes (only references and instructions)
    assert NEW_STREET not in relabelled
    # and the volunteer packs it as usual
    ok(api_client_for(volunteer).post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    assert request_as(case_worker_a, filed["id"])["status"] == "packed"
    # after which nobody can correct it any more, and nothing changes
    refused = api_client_for(coordinator).patch(
        f"/api/v1/delivery-requests/{filed['id']}/", {"time_slot": "1820"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_correctable"
    assert request_as(coordinator, filed["id"])["time_slot"] == "1416"


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_corrected_address_reaches_the_re_issued_label_pdf(
    celery_worker, network, stocked, case_worker_a, coordinator, volunteer
):
    # given a request booked into a batch of our own delivery, whose labels we print
    make_local_account(network.food_bank, takes_requests=True)
    filed, batch = _scheduled(case_worker_a, coordinator)
    assert OLD_BUILDING in pdf_text(document(coordinator, batch["id"], "labels"))

    # when the coordinator corrects the address
    _correct_address(coordinator, filed["id"])

    # then the worker writes the label PDF again, with the new address only
    wait_ready(coordinator, batch["id"])
    labels = pdf_text(document(coordinator, batch["id"], "labels"))
    assert NEW_BUILDING in labels
    assert NEW_STREET in labels
    assert OLD_BUILDING not in labels
    # and the batch page says to replace the label printed before
    page = page_as(coordinator, f"/shipping/batches/{batch['id']}/")
    (parcel,) = parcels_of(coordinator, batch["id"])
    assert parcel["reference"] in page.split('id="relabelled-heading"')[1].split("</section>")[0]
    assert BatchDocument.objects.filter(batch_id=batch["id"], kind="labels").exists()
