"""After the hand-over, parcels reach delivered or returned in normal use: a returned box's packs
are back in stock once, the coordinator records outcomes in bulk from the batch page, and the daily
job closes what had no news, so retention can erase the case afterwards (docs/journeys.md)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from referrals.retention import anonymise_closed_cases
from shipping.tasks import close_delivered_parcels_task
from tests.helpers import api_client_for, wait_for

from .steps import (
    approve,
    b2_issued_data,
    backdate_handover,
    document,
    file_request,
    ok,
    parcels_of,
    request_as,
    run_batch,
    tracking_number,
)


def _home_sets(user, site) -> int:
    rows = ok(api_client_for(user).get(f"/api/v1/sites/{site.pk}/stock/"))
    return sum(row["quantity"] for row in rows if row["pack_type"] == "home")


def _handed_over(case_worker, coordinator, volunteer, n: int) -> tuple[dict, list[dict], list[dict]]:
    """``n`` one-person requests for a week, packed, labelled in B2 Cloud and handed over."""
    filed = [
        file_request(
            case_worker,
            recipient__name=f"利用者 {i}",
            household={"adults": 1, "children": 0, "infants": 0, "type": "single"},
            extras=[],
        )
        for i in range(n)
    ]
    for request in filed:
        approve(coordinator, request["id"])
    batch = run_batch(coordinator)
    parcels = parcels_of(volunteer, batch["id"])
    for parcel in parcels:
        ok(api_client_for(volunteer).post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    numbers = {p["reference"]: tracking_number(50000000000 + i) for i, p in enumerate(parcels)}
    issued = b2_issued_data(document(coordinator, batch["id"], "carrier_csv"), numbers)
    ok(
        api_client_for(coordinator).post(
            f"/api/v1/dispatch-batches/{batch['id']}/tracking-import/",
            {"file": SimpleUploadedFile("issued.csv", issued, content_type="text/csv")},
            format="multipart",
        )
    )
    ok(api_client_for(coordinator).post(f"/api/v1/dispatch-batches/{batch['id']}/handed-over/"))
    return batch, parcels, filed


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_returned_parcels_packs_are_back_in_stock_once_and_the_case_worker_sees_it(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a parcel handed over to the courier (its home pack left the shelf)
    _batch, (parcel,), (filed,) = _handed_over(case_worker_a, coordinator, volunteer, 1)
    on_shelf = _home_sets(coordinator, network.warehouse)

    # when the courier brings it back and the coordinator records it, twice (a double tap)
    client = api_client_for(coordinator)
    first = ok(
        client.post(f"/api/v1/parcels/{parcel['id']}/returned/", {"note": "不在のため返送"}, format="json")
    )
    again = ok(
        client.post(f"/api/v1/parcels/{parcel['id']}/returned/", {"note": "不在のため返送"}, format="json")
    )

    # then the parcel is returned and its home pack is back on the shelf, once
    assert (first["status"], again["status"]) == ("returned", "returned")
    assert _home_sets(coordinator, network.warehouse) == on_shelf + 1
    # and the case worker sees the request returned
    assert request_as(case_worker_a, filed["id"])["status"] == "returned"


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_outcomes_in_bulk_from_the_batch_page_and_the_daily_job_closes_the_rest_for_retention(
    celery_worker, settings, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given three parcels handed over to the courier
    batch, parcels, filed = _handed_over(case_worker_a, coordinator, volunteer, 3)
    by_name = {p["recipient_name"]: p for p in parcels}

    # when the coordinator records on the batch page that the first arrived and the second came back
    browser = Client()
    browser.force_login(coordinator)
    for name, outcome in (("利用者 0", "delivered"), ("利用者 1", "returned")):
        response = browser.post(
            f"/shipping/batches/{batch['id']}/outcomes/",
            {"references": by_name[name]["reference"], "outcome": outcome},
            follow=True,
        )
        assert "1件を記録しました。" in response.content.decode()
    statuses = {p["recipient_name"]: p["status"] for p in parcels_of(coordinator, batch["id"])}
    assert statuses == {"利用者 0": "delivered", "利用者 1": "returned", "利用者 2": "handed_over"}

    # when the third had no news for more than DELIVERY_ASSUMED_AFTER_DAYS and the daily job runs
    backdate_handover(by_name["利用者 2"]["id"], days=settings.DELIVERY_ASSUMED_AFTER_DAYS + 1)
    result = close_delivered_parcels_task.delay()
    wait_for(result.ready, timeout=120, message="close task")
    assert result.get() == 1

    # then every request is closed, and the case worker sees delivered or returned
    seen = {f["id"]: request_as(case_worker_a, f["id"])["status"] for f in filed}
    assert sorted(seen.values()) == ["delivered", "delivered", "returned"]

    # and once RETENTION_MONTHS have passed, retention erases the three cases
    later = timezone.now() + timedelta(days=31 * (settings.RETENTION_MONTHS + 1))
    erased = anonymise_closed_cases(now=later)
    assert erased.delivery_requests == 3
    assert erased.parcels == 3
