"""Pantry-backup shipments to partner groups: the coordinators' API, and the way from a shipment to
a parcel in the next batch, packed, handed over and delivered."""

import pytest

from foodbank.models import Organisation
from shipping import services
from shipping.models import BatchDocument, PantryShipment, Parcel, ParcelEvent
from tests.factories import OrganisationFactory

from .integration import run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db

URL = "/api/v1/pantry-shipments/"


@pytest.fixture
def cafeteria(network):
    return OrganisationFactory(
        code="kodomo-shokudo",
        food_bank=network.food_bank,
        name="こども食堂みなみ",
        kind=Organisation.Kind.PANTRY_GROUP,
    )


@pytest.fixture
def other_cafeteria(network):
    return OrganisationFactory(
        code="kodomo-other",
        food_bank=network.other_food_bank,
        name="こども食堂はこだて",
        kind=Organisation.Kind.PANTRY_GROUP,
    )


def body(partner, **changes) -> dict:
    values = {
        "partner": partner.pk,
        "pack_type": "day3",
        "quantity": 12,
        "contact_name": "佐藤 花子",
        "phone": "011-555-0199",
        "postal_code": "060-0001",
        "address": "北海道札幌市中央区北一条西2丁目",
        "building": "みなみ会館1階",
        "note": "冷暗所保管",
    }
    values.update(changes)
    return values


def test_coordinator_creates_lists_and_reads_a_pantry_shipment(api, coordinator, stocked, cafeteria):
    client = api(coordinator)

    created = client.post(URL, body(cafeteria), format="json")

    assert created.status_code == 201, created.content
    data = created.json()
    assert {
        k: data[k] for k in ("partner", "partner_name", "pack_type", "quantity", "postal_code", "status")
    } == {
        "partner": cafeteria.pk,
        "partner_name": "こども食堂みなみ",
        "pack_type": "day3",
        "quantity": 12,
        "postal_code": "0600001",
        "status": "approved",
    }
    assert data["parcels"] == []
    shipment = PantryShipment.objects.get()
    assert (shipment.food_bank_id, shipment.created_by) == (cafeteria.food_bank_id, coordinator)
    listed = client.get(URL)
    assert [row["id"] for row in listed.json()["results"]] == [shipment.pk]
    assert client.get(f"{URL}{shipment.pk}/").json()["contact_name"] == "佐藤 花子"


def test_a_retry_with_the_same_idempotency_key_creates_one_shipment(api, coordinator, stocked, cafeteria):
    client = api(coordinator)

    first = client.post(URL, body(cafeteria), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(URL, body(cafeteria), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert PantryShipment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"postal_code": "06000"}, "postal_code"),
        ({"contact_name": ""}, "contact_name"),
        ({"address": "x" * 201}, "address"),
        ({"phone": "call me"}, "phone"),
        ({"pack_type": "week"}, "pack_type"),
    ],
)
def test_invalid_fields_are_400_per_field_and_nothing_is_written(
    api, coordinator, stocked, cafeteria, changes, field
):
    response = api(coordinator).post(URL, body(cafeteria, **changes), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert PantryShipment.objects.count() == 0


def test_a_partner_that_is_not_a_pantry_group_of_the_food_bank_is_400(
    api, coordinator, stocked, network, other_cafeteria
):
    client = api(coordinator)

    for partner in (other_cafeteria, network.agency_a):
        response = client.post(URL, body(partner), format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["partner"]
    assert PantryShipment.objects.count() == 0


@pytest.mark.parametrize("actor", ["volunteer", "case_worker_a", "window_staff_a", "integration"])
def test_other_roles_are_refused_403_and_nothing_is_written(
    api, request, coordinator, stocked, cafeteria, actor
):
    shipment = services.create_pantry_shipment(
        food_bank_id=cafeteria.food_bank_id,
        by=coordinator,
        partner=cafeteria,
        pack_type=stocked.day3,
        quantity=1,
        contact_name="佐藤",
        postal_code="0600001",
        address="札幌市",
    )
    client = api(request.getfixturevalue(actor))

    assert client.post(URL, body(cafeteria), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{shipment.pk}/").status_code == 403
    assert PantryShipment.objects.count() == 1


def test_another_food_banks_coordinator_gets_404_and_an_empty_list(
    api, coordinator, other_coordinator, stocked, cafeteria
):
    created = api(coordinator).post(URL, body(cafeteria), format="json").json()
    client = api(other_coordinator)

    assert client.get(f"{URL}{created['id']}/").status_code == 404
    assert client.get(URL).json()["results"] == []


def test_a_pantry_shipment_becomes_a_parcel_that_is_packed_handed_over_and_delivered(
    api, coordinator, volunteer, stocked, cafeteria, local_account
):
    # given a pantry shipment made through the API
    shipment_id = api(coordinator).post(URL, body(cafeteria), format="json").json()["id"]

    # when the next batch of the local account (which carries pantry shipments) is built
    batch = run_batch(tomorrow_batch(local_account).pk)

    # then the shipment is one batched parcel addressed to the group, with its stock reserved
    parcel = Parcel.objects.get(pantry_id=shipment_id)
    assert (parcel.batch_id, parcel.source, parcel.status, parcel.stock_reserved) == (
        batch.pk,
        "pantry",
        "batched",
        True,
    )
    assert parcel.reference == f"{batch.reference}-P{shipment_id}"
    assert (parcel.recipient_company, parcel.recipient_name, parcel.postal_code) == (
        "こども食堂みなみ",
        "佐藤 花子",
        "0600001",
    )
    assert parcel.packing["contents"] == [
        {"name": "3日分セット", "quantity": 12, "pack_type": "day3", "code": "day3"}
    ]
    assert parcel.packing["notes"] == ["冷暗所保管"]
    assert PantryShipment.objects.get(pk=shipment_id).status == "booked"
    assert set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True)) >= {"labels"}
    detail = api(coordinator).get(f"{URL}{shipment_id}/").json()
    assert detail["parcels"] == [
        {"id": parcel.pk, "reference": parcel.reference, "status": "batched", "batch": batch.pk}
    ]

    # when a volunteer packs it, the coordinator hands the batch over and records the delivery
    assert api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/").status_code == 200
    handed = api(coordinator).post(f"/api/v1/dispatch-batches/{batch.pk}/handed-over/")
    delivered = api(coordinator).post(f"/api/v1/parcels/{parcel.pk}/delivered/")

    # then each step is recorded
    assert handed.status_code == 200
    assert handed.json()["handed_over"] == 1
    assert delivered.json()["status"] == "delivered"
    assert PantryShipment.objects.get(pk=shipment_id).status == "packed"
    assert list(ParcelEvent.objects.filter(parcel=parcel).values_list("to_status", flat=True)) == [
        "booked",
        "batched",
        "packed",
        "handed_over",
        "delivered",
    ]
