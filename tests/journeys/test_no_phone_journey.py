"""A person without a phone can be served: the label carries the filing agency's number, and the
packer is told why (docs/shipping-b2.md, "A person without a phone")."""

import pytest

from .steps import (
    approve,
    csv_parcels,
    csv_rows,
    document,
    file_request,
    parcels_of,
    pdf_text,
    request_as,
    run_batch,
)


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_person_without_a_phone_gets_a_label_with_the_agencys_number(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given agency A's number, and a request filed for a person who has no phone
    network.agency_a.phone = "0134-22-0001"
    network.agency_a.save(update_fields=["phone"])
    filed = file_request(case_worker_a, recipient__phone="")
    assert request_as(case_worker_a, filed["id"])["recipient"]["phone"] == ""
    approve(coordinator, filed["id"])

    # when the batch is built
    batch = run_batch(coordinator)

    # then B2 Cloud's row carries the agency's number, so the label can be printed
    (parcel,) = parcels_of(volunteer, batch["id"])
    rows = csv_rows(document(coordinator, batch["id"], "carrier_csv"))
    assert csv_parcels(rows) == [parcel["reference"]]
    assert all("0134-22-0001" in row for row in rows[1:])  # every box's row (a household may fill two)
    assert batch["held_back"] == []
    # and the packing slip tells the packer why
    slips = pdf_text(document(volunteer, batch["id"], "packing_slips"))
    assert "電話なし：送り状には依頼機関の電話番号" in slips
