"""Every answer that shows a person's data is recorded against that person (issue #21, item 4):
document downloads (one event per download, with the people in it), parcel lists, request lists,
the triage queue, the answers to approve and decline; create events carry the address and path."""

import csv
import io

import pytest
from django.test import Client

from foodbank.models import AuditEvent
from referrals.models import DeliveryRequest
from shipping.models import Parcel
from tests.referrals.factories import body, file_request

from . import test_api

pytestmark = pytest.mark.django_db

built = test_api.built  # a ready B2 batch of two parcels for delivery requests


def _last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _since(pk: int):
    return AuditEvent.objects.filter(pk__gt=pk).order_by("pk")


def _who_saw(client, subject_id: int) -> list[dict]:
    """The per-person export ("who saw this person's data"), as rows."""
    response = client.get(f"/audit/export.csv?subject={subject_id}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("kind", ["carrier_csv", "packing_slips", "pick_list", "manifest"])
def test_a_document_download_is_one_event_naming_everybody_in_it(api, coordinator, built, kind):
    batch, requests = built
    people = sorted(r.recipient_id for r in requests)
    before = _last_pk()

    response = api(coordinator).get(f"/api/v1/dispatch-batches/{batch.pk}/documents/{kind}/")

    assert response.status_code == 200
    (event,) = _since(before)
    assert (event.action, event.object_type, event.object_id) == (
        "export",
        "batch_document",
        f"{batch.pk}:{kind}",
    )
    assert event.detail["subjects"] == people
    assert event.path == f"/api/v1/dispatch-batches/{batch.pk}/documents/{kind}/"
    # and each person's disclosure export lists the download
    page = Client()
    page.force_login(coordinator)
    for person in people:
        rows = _who_saw(page, person)
        assert ("export", "batch_document") in {(r["action"], r["object_type"]) for r in rows}


def test_a_parcel_list_names_its_people(api, coordinator, built):
    batch, requests = built
    before = _last_pk()

    assert api(coordinator).get(f"/api/v1/parcels/?batch={batch.pk}").status_code == 200

    (event,) = _since(before)
    assert event.detail["subjects"] == sorted(r.recipient_id for r in requests)
    assert sorted(event.detail["ids"]) == sorted(
        Parcel.objects.filter(batch=batch).values_list("pk", flat=True)
    )


def test_request_lists_and_the_triage_queue_name_their_people(
    api, client, network, case_worker_a, coordinator
):
    filed = [file_request(case_worker_a, network.agency_a) for _ in range(2)]
    people = sorted(r.recipient_id for r in filed)
    client.force_login(coordinator)

    for fetch in (
        lambda: api(case_worker_a).get("/api/v1/delivery-requests/"),
        lambda: client.get("/requests/"),
        lambda: client.get("/triage/"),
    ):
        before = _last_pk()
        assert fetch().status_code == 200
        (event,) = _since(before).filter(object_type="delivery_request")
        assert event.detail["subjects"] == people


def test_the_answer_to_approve_and_decline_is_recorded_as_a_view(api, network, case_worker_a, coordinator):
    approved, declined = (file_request(case_worker_a, network.agency_a) for _ in range(2))

    for obj, action, payload in ((approved, "approve", {}), (declined, "decline", {"reason": "対象外"})):
        before = _last_pk()
        response = api(coordinator).post(
            f"/api/v1/delivery-requests/{obj.pk}/{action}/", payload, format="json"
        )
        assert response.status_code == 200
        views = _since(before).filter(action="view")
        assert [(e.subject_id, e.object_id) for e in views] == [(obj.recipient_id, str(obj.pk))]


def test_a_create_event_carries_the_address_and_path(api, case_worker_a):
    response = api(case_worker_a).post(
        "/api/v1/delivery-requests/", body(), format="json", REMOTE_ADDR="192.0.2.44"
    )

    assert response.status_code == 201
    request = DeliveryRequest.objects.get()
    event = AuditEvent.objects.get(action="create", object_type="delivery_request")
    assert (event.subject_id, event.ip_address, event.path) == (
        request.recipient_id,
        "192.0.2.44",
        "/api/v1/delivery-requests/",
    )
