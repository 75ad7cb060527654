"""Pages: the coordinators' batch page and the volunteers' packing station."""

import pytest

from shipping.models import DispatchBatch, Parcel

from .integration import approved_requests, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    return run_batch(tomorrow_batch(b2_account).pk)


def test_station_shows_what_goes_in_and_never_the_situation_note(client, volunteer, built):
    client.force_login(volunteer)
    parcel = Parcel.objects.filter(batch=built).first()

    page = client.get(f"/shipping/batches/{built.pk}/pack/?ref={parcel.reference}")
    listing = client.get(f"/shipping/batches/{built.pk}/pack/")
    batch_page = client.get(f"/shipping/batches/{built.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert parcel.reference in html
    assert "3日分セット" in html or "1日分セット" in html or "家庭向けパック" in html
    for text in (html, listing.content.decode(), batch_page.content.decode()):
        assert "生活保護申請中" not in text
        assert "+81" not in text


def test_volunteer_marks_a_parcel_packed_and_the_counts_follow(client, volunteer, built):
    client.force_login(volunteer)
    parcel = Parcel.objects.filter(batch=built).first()

    response = client.post(f"/shipping/batches/{built.pk}/pack/{parcel.pk}/")
    status = client.get(f"/shipping/batches/{built.pk}/status.json").json()

    assert response.status_code == 302
    assert (status["packed"], status["left"], status["total"]) == (1, 1, 2)
    assert status["progress"] == 100


def test_volunteer_cannot_run_a_batch_nor_see_the_csv_link(client, volunteer, b2_account, built):
    client.force_login(volunteer)
    assert (
        client.post("/shipping/batches/", {"account": b2_account.pk, "ship_date": "2030-01-01"}).status_code
        == 403
    )
    html = client.get(f"/shipping/batches/{built.pk}/").content.decode()
    assert "documents/carrier_csv/" not in html
    assert "documents/packing_slips/" in html


def test_coordinator_runs_a_batch_from_the_page(client, coordinator, b2_account):
    client.force_login(coordinator)
    response = client.post("/shipping/batches/", {"account": b2_account.pk, "ship_date": "2030-01-01"})
    batch = DispatchBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/shipping/batches/{batch.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_other_food_bank_sees_404_and_case_worker_403(client, other_coordinator, case_worker_a, built):
    client.force_login(other_coordinator)
    assert client.get(f"/shipping/batches/{built.pk}/pack/").status_code == 404
    client.force_login(case_worker_a)
    assert client.get(f"/shipping/batches/{built.pk}/").status_code == 403
