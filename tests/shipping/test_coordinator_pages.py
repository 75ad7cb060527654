"""Coordinators' pages: pantry shipments (list and form), voiding a parcel and recording the
hand-over from the batch page. Other roles are refused and nothing is written."""

import pytest

from foodbank.models import Organisation
from shipping.models import PantryShipment, Parcel, ParcelEvent
from tests.factories import OrganisationFactory

from .integration import approved_requests, make_local_account, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db

PANTRY = "/shipping/pantry/"


@pytest.fixture
def cafeteria(network):
    return OrganisationFactory(
        code="kodomo",
        food_bank=network.food_bank,
        name="こども食堂みなみ",
        kind=Organisation.Kind.PANTRY_GROUP,
    )


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    return run_batch(tomorrow_batch(b2_account).pk)


def form(cafeteria, stocked, **changes) -> dict:
    values = {
        "partner": cafeteria.pk,
        "pack_type": stocked.day1.pk,
        "quantity": "20",
        "contact_name": "佐藤 花子",
        "phone": "011-555-0199",
        "postal_code": "060-0001",
        "address": "北海道札幌市中央区北一条西2丁目",
        "building": "",
        "note": "",
    }
    values.update(changes)
    return values


def test_pantry_page_is_linked_from_home_labelled_and_japanese(client, coordinator, stocked, cafeteria):
    client.force_login(coordinator)

    home = client.get("/").content.decode()
    page = client.get(PANTRY)

    assert 'href="/shipping/pantry/"' in home
    assert page.status_code == 200
    html = page.content.decode()
    assert "パントリー" in html
    for name in (
        "partner",
        "pack_type",
        "quantity",
        "contact_name",
        "phone",
        "postal_code",
        "address",
        "note",
    ):
        assert f'<label for="id_{name}">' in html


def test_coordinator_saves_a_pantry_shipment(client, coordinator, stocked, cafeteria):
    client.force_login(coordinator)

    response = client.post(PANTRY, form(cafeteria, stocked))

    assert response.status_code == 302
    shipment = PantryShipment.objects.get()
    assert (shipment.partner, shipment.pack_type, shipment.quantity, shipment.postal_code) == (
        cafeteria,
        stocked.day1,
        20,
        "0600001",
    )
    listing = client.get(PANTRY).content.decode()
    assert "こども食堂みなみ" in listing
    assert "登録日時" in listing


def test_an_invalid_form_shows_errors_and_saves_nothing(client, coordinator, stocked, cafeteria):
    client.force_login(coordinator)

    response = client.post(PANTRY, form(cafeteria, stocked, quantity="0", postal_code="abc"))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="field-quantity"' in html
    assert 'role="alert"' in html
    assert PantryShipment.objects.count() == 0


@pytest.mark.parametrize("actor", ["volunteer", "case_worker_a", "window_staff_a"])
def test_other_roles_may_not_use_the_pantry_page(client, request, stocked, cafeteria, actor):
    client.force_login(request.getfixturevalue(actor))

    assert client.get(PANTRY).status_code == 403
    assert client.post(PANTRY, form(cafeteria, stocked)).status_code == 403
    assert PantryShipment.objects.count() == 0


def test_coordinator_voids_a_parcel_from_the_batch_page(client, coordinator, built):
    client.force_login(coordinator)
    parcel = Parcel.objects.filter(batch=built).first()
    page = client.get(f"/shipping/batches/{built.pk}/").content.decode()
    assert f'action="/shipping/batches/{built.pk}/void/"' in page

    response = client.post(
        f"/shipping/batches/{built.pk}/void/", {"reference": parcel.reference, "reason": "rebook", "note": ""}
    )

    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == "void"
    after = client.get(response["Location"]).content.decode()
    assert "B2" in after  # the carrier's instructions (the CSV was written) are shown


def test_volunteer_may_not_void_nor_hand_over_and_nothing_changes(client, volunteer, built):
    client.force_login(volunteer)
    parcel = Parcel.objects.filter(batch=built).first()
    events = ParcelEvent.objects.count()

    page = client.get(f"/shipping/batches/{built.pk}/").content.decode()
    void = client.post(
        f"/shipping/batches/{built.pk}/void/", {"reference": parcel.reference, "reason": "cancel"}
    )
    handed = client.post(f"/shipping/batches/{built.pk}/handed-over/")

    assert "/void/" not in page
    assert (void.status_code, handed.status_code) == (403, 403)
    assert set(Parcel.objects.values_list("status", flat=True)) == {"batched"}
    assert ParcelEvent.objects.count() == events


def test_coordinator_records_the_hand_over_from_the_batch_page(
    client, network, coordinator, volunteer, stocked, case_worker_a
):
    # given a hand-delivery batch of two requests, one of them packed
    account = make_local_account(network.food_bank, takes_requests=True, name="自社便")
    approved_requests(2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator)
    batch = run_batch(tomorrow_batch(account).pk)
    parcel = Parcel.objects.filter(batch=batch).first()
    client.force_login(volunteer)
    client.post(f"/shipping/batches/{batch.pk}/pack/{parcel.pk}/")
    client.force_login(coordinator)

    response = client.post(f"/shipping/batches/{batch.pk}/handed-over/")

    assert response.status_code == 302
    assert sorted(Parcel.objects.values_list("status", flat=True)) == ["batched", "handed_over"]
