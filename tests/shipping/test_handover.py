"""The end of a parcel's way: handed over to the courier with the batch, then delivered."""

import pytest

from referrals.models import DeliveryRequest
from shipping.models import Parcel, ParcelEvent

from .integration import approved_requests, make_local_account, run_batch, tomorrow_batch
from .test_api import issued_file, number

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Parcel.objects.order_by("pk").values_list("status", flat=True)),
        ParcelEvent.objects.count(),
        list(DeliveryRequest.objects.order_by("pk").values_list("status", flat=True)),
    )


@pytest.fixture
def built(network, b2_account, stocked, case_worker_a, coordinator):
    requests = approved_requests(
        2, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator
    )
    return run_batch(tomorrow_batch(b2_account).pk), requests


def test_the_status_chain_from_booked_to_delivered(api, coordinator, volunteer, built):
    # given a batch of two parcels: the first packed and its label issued
    batch, (first, second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    tracking = number(40000000001)
    api(coordinator).post(
        f"/api/v1/dispatch-batches/{batch.pk}/tracking-import/",
        {"file": issued_file(batch, [(parcel.reference, tracking)])},
        format="multipart",
    )

    # and the second packed, but its B2 label not issued yet
    unlabelled = Parcel.objects.get(delivery_request=second)
    api(volunteer).post(f"/api/v1/parcels/{unlabelled.pk}/packed/")

    # when the coordinator records the hand-over (twice: a double click) and then the delivery
    handed = api(coordinator).post(f"/api/v1/dispatch-batches/{batch.pk}/handed-over/")
    again = api(coordinator).post(f"/api/v1/dispatch-batches/{batch.pk}/handed-over/")
    delivered = api(coordinator).post(f"/api/v1/parcels/{parcel.pk}/delivered/")

    # then the labelled parcel went through every status once; the one without a label stays
    # packed (a Yamato box cannot be picked up without its label)
    assert (handed.status_code, handed.json()["handed_over"]) == (200, 1)
    assert handed.json()["batch"]["parcels"]["packed"] == 2
    assert again.json()["handed_over"] == 0
    assert delivered.status_code == 200
    assert list(ParcelEvent.objects.filter(parcel=parcel).values_list("to_status", flat=True)) == [
        "booked",
        "batched",
        "packed",
        "label_issued",
        "handed_over",
        "delivered",
    ]
    assert Parcel.objects.get(delivery_request=second).status == "packed"
    first.refresh_from_db()
    assert (first.status, first.tracking_number) == ("delivered", tracking)
    assert first.delivered_at is not None


def test_a_hand_delivered_request_ships_at_the_hand_over(
    api, network, coordinator, volunteer, stocked, case_worker_a
):
    # given a local (hand delivery) account that carries requests, and a packed parcel
    account = make_local_account(network.food_bank, takes_requests=True, name="自社便")
    (request,) = approved_requests(
        1, case_worker=case_worker_a, agency=network.agency_a, coordinator=coordinator
    )
    batch = run_batch(tomorrow_batch(account).pk)
    parcel = Parcel.objects.get(delivery_request=request)
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")

    # when it is handed over
    api(coordinator).post(f"/api/v1/dispatch-batches/{batch.pk}/handed-over/")

    # then the request is shipped without a tracking number
    request.refresh_from_db()
    assert (request.status, request.tracking_number) == ("shipped", "")


def test_delivering_a_parcel_not_handed_over_is_409_and_changes_nothing(api, coordinator, built):
    _batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    before = state()

    response = api(coordinator).post(f"/api/v1/parcels/{parcel.pk}/delivered/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert state() == before


@pytest.mark.parametrize(
    ("actor", "status"), [("volunteer", 403), ("case_worker_a", 403), ("other_coordinator", 404)]
)
def test_hand_over_and_delivery_by_others_are_refused_and_change_nothing(
    api, request, volunteer, built, actor, status
):
    batch, (first, _second) = built
    parcel = Parcel.objects.get(delivery_request=first)
    api(volunteer).post(f"/api/v1/parcels/{parcel.pk}/packed/")
    before = state()
    client = api(request.getfixturevalue(actor))

    assert client.post(f"/api/v1/dispatch-batches/{batch.pk}/handed-over/").status_code == status
    assert client.post(f"/api/v1/parcels/{parcel.pk}/delivered/").status_code == status
    assert state() == before
