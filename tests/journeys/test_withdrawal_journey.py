"""A change after scheduling reaches the box: a request cancelled, declined or whose consent is
withdrawn after the cutoff booked its parcel is taken out of the batch — parcel void, reservation
released, off the pick list, the packing slips and the B2 CSV, and the packing station says to set
the box aside (docs/journeys.md). After packing, a cancellation is refused and nothing changes."""

import pytest
from django.test import Client

from tests.helpers import api_client_for

from .steps import (
    approve,
    csv_parcels,
    csv_rows,
    document,
    file_request,
    ok,
    page_as,
    parcels_of,
    pdf_text,
    request_as,
    run_batch,
    wait_ready,
)

SET_ASIDE = "出荷取消：箱を取り分けてください"


def _home_sets(user, site) -> int:
    """Free home parcels at the warehouse, as the stock API shows them."""
    rows = ok(api_client_for(user).get(f"/api/v1/sites/{site.pk}/stock/"))
    return sum(row["quantity"] for row in rows if row["pack_type"] == "home")


def _two_scheduled(network, case_worker, coordinator) -> tuple[dict, dict, dict]:
    """Two approved requests (山田 花子, 佐藤 次郎) booked into tomorrow's ready batch."""
    kept = file_request(case_worker)
    withdrawn = file_request(case_worker, recipient__name="佐藤 次郎", recipient__name_kana="サトウ ジロウ")
    for filed in (kept, withdrawn):
        approve(coordinator, filed["id"])
    batch = run_batch(coordinator)
    assert request_as(case_worker, withdrawn["id"])["status"] == "scheduled"
    return kept, withdrawn, batch


def _assert_out_of_the_batch(batch: dict, withdrawn: dict, *, network, coordinator, volunteer, stock_before):
    parcels = {p["recipient_name"]: p for p in parcels_of(coordinator, batch["id"])}
    gone = parcels["佐藤 次郎"]
    # the parcel is void and its reservation released: the home set is free again
    assert gone["status"] == "void"
    assert gone["stock_reserved"] is False
    home = sum(line["quantity"] for line in gone["contents"] if line["code"] == "home")
    assert home >= 1
    assert _home_sets(coordinator, network.warehouse) == stock_before + home
    # the documents are written again without it (the worker rebuilds them)
    wait_ready(coordinator, batch["id"])
    slips = pdf_text(document(volunteer, batch["id"], "packing_slips"))
    assert "山田 花子" in slips
    assert "佐藤 次郎" not in slips
    assert gone["reference"] not in slips
    pick_list = pdf_text(document(volunteer, batch["id"], "pick_list"))
    assert "家庭向けパック" in pick_list
    rows = csv_rows(document(coordinator, batch["id"], "carrier_csv"))
    assert csv_parcels(rows) == [parcels["山田 花子"]["reference"]]
    # the packing station says to set the box aside, and lists it no more as left to pack
    station = page_as(volunteer, f"/shipping/batches/{batch['id']}/pack/?ref={gone['reference']}")
    assert SET_ASIDE in station
    assert gone["reference"] not in station.split('id="left-heading"')[1]
    volunteer_browser = Client()
    volunteer_browser.force_login(volunteer)
    pressed = volunteer_browser.post(f"/shipping/batches/{batch['id']}/pack/{gone['id']}/", follow=True)
    assert SET_ASIDE in pressed.content.decode()
    assert ok(api_client_for(volunteer).get(f"/api/v1/parcels/{gone['id']}/"))["status"] == "void"
    # the batch page tells the coordinator what to do in B2 Cloud
    page = page_as(coordinator, f"/shipping/batches/{batch['id']}/")
    assert gone["reference"] in page
    assert "B2" in page.split("取り消した荷物")[1].split("</section>")[0]
    return gone


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_after_scheduling_takes_the_parcel_out_of_the_batch(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given two requests booked into a ready batch
    _kept, withdrawn, batch = _two_scheduled(network, case_worker_a, coordinator)
    stock_before = _home_sets(coordinator, network.warehouse)

    # when the case worker cancels one of them
    body = ok(
        api_client_for(case_worker_a).post(
            f"/api/v1/delivery-requests/{withdrawn['id']}/cancel/",
            {"reason": "入院のため不要"},
            format="json",
        )
    )

    # then the request is cancelled and its parcel is out of the batch, everywhere
    assert body["status"] == "cancelled"
    _assert_out_of_the_batch(
        batch,
        withdrawn,
        network=network,
        coordinator=coordinator,
        volunteer=volunteer,
        stock_before=stock_before,
    )


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_consent_withdrawal_after_scheduling_takes_the_parcel_out_of_the_batch(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given two requests booked into a ready batch
    _kept, withdrawn, batch = _two_scheduled(network, case_worker_a, coordinator)
    stock_before = _home_sets(coordinator, network.warehouse)
    consents = request_as(coordinator, withdrawn["id"])["consents"]
    (share,) = [c for c in consents if c["purpose"] == "share_with_foodbank"]

    # when the person withdraws their consent to share their details with the food bank
    ok(api_client_for(case_worker_a).post(f"/api/v1/consents/{share['id']}/withdraw/", {}, format="json"))

    # then the request is cancelled and no label can be printed for them any more
    assert request_as(coordinator, withdrawn["id"])["status"] == "cancelled"
    _assert_out_of_the_batch(
        batch,
        withdrawn,
        network=network,
        coordinator=coordinator,
        volunteer=volunteer,
        stock_before=stock_before,
    )


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_decline_after_scheduling_takes_the_parcel_out_of_the_batch(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given two requests booked into a ready batch
    _kept, withdrawn, batch = _two_scheduled(network, case_worker_a, coordinator)
    stock_before = _home_sets(coordinator, network.warehouse)

    # when the coordinator declines one of them (another agency serves the household now)
    body = ok(
        api_client_for(coordinator).post(
            f"/api/v1/delivery-requests/{withdrawn['id']}/decline/",
            {"reason": "他機関で対応済み"},
            format="json",
        )
    )

    # then it is declined and its parcel out of the batch
    assert body["status"] == "declined"
    _assert_out_of_the_batch(
        batch,
        withdrawn,
        network=network,
        coordinator=coordinator,
        volunteer=volunteer,
        stock_before=stock_before,
    )


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_after_packing_is_refused_and_the_box_stays(
    celery_worker, network, stocked, b2_account, case_worker_a, coordinator, volunteer
):
    # given a booked request whose box the volunteer has packed
    _kept, withdrawn, batch = _two_scheduled(network, case_worker_a, coordinator)
    parcel = next(p for p in parcels_of(volunteer, batch["id"]) if p["recipient_name"] == "佐藤 次郎")
    ok(api_client_for(volunteer).post(f"/api/v1/parcels/{parcel['id']}/packed/"))
    stock_before = _home_sets(coordinator, network.warehouse)

    # when the case worker tries to cancel it
    response = api_client_for(case_worker_a).post(
        f"/api/v1/delivery-requests/{withdrawn['id']}/cancel/", {"reason": "入院のため不要"}, format="json"
    )

    # then 409 with the reason, and nothing changed: parcel packed, in the CSV, stock as it was
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert request_as(case_worker_a, withdrawn["id"])["status"] == "packed"
    after = next(p for p in parcels_of(coordinator, batch["id"]) if p["id"] == parcel["id"])
    assert after["status"] == "packed"
    assert _home_sets(coordinator, network.warehouse) == stock_before
    rows = csv_rows(document(coordinator, batch["id"], "carrier_csv"))
    assert parcel["reference"] in csv_parcels(rows)
