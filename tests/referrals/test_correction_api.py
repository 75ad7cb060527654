"""PATCH /api/v1/delivery-requests/{id}/: correcting a filed request (docs/referrals.md).

The filing agency corrects until the request is approved, the food bank's coordinators until its
parcel is packed; every other attempt is refused and writes nothing. Each correction is an event
naming the fields, never the values; ``If-Match`` refuses a stale write and ``Idempotency-Key``
replays a retry."""

import pytest

from foodbank.models import AuditEvent
from referrals.models import DeliveryRequest, DeliveryRequestEvent, Recipient
from tests.helpers import api_client_for
from tests.referrals.factories import bring_to, file_request, tomorrow

pytestmark = pytest.mark.django_db

NEW_ADDRESS = {"postal_code": "047-0024", "address": "花園2丁目6-7", "building": "花園ハイツ305"}


def _url(request) -> str:
    return f"/api/v1/delivery-requests/{request.pk}/"


def _patch(user, request, body, **headers):
    return api_client_for(user).patch(_url(request), body, format="json", **headers)


def _snapshot(request) -> tuple:
    """Everything a refused correction must leave as it was."""
    person = Recipient.objects.get(pk=request.recipient_id)
    row = DeliveryRequest.objects.get(pk=request.pk)
    return (
        person.phone,
        person.postal_code,
        person.address,
        person.building,
        row.days_needed,
        row.time_slot,
        row.delivery_date,
        row.allergies,
        row.status,
        DeliveryRequestEvent.objects.filter(request=request).count(),
        AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, object_type="delivery_request").count(),
    )


def test_the_filing_case_worker_corrects_a_submitted_request(network, case_worker_a):
    # given a request the case worker filed with the wrong room number
    request = file_request(case_worker_a, network.agency_a)
    etag = api_client_for(case_worker_a).get(_url(request))["ETag"]

    # when they correct the room, the phone, the days and the time slot
    response = _patch(
        case_worker_a,
        request,
        {"address": NEW_ADDRESS, "phone": "080-9876-5432", "days_needed": 10, "time_slot": "1820"},
        HTTP_IF_MATCH=etag,
    )

    # then the request reads corrected, with a new version
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["recipient"]["building"] == "花園ハイツ305"
    assert body["recipient"]["phone"] == "080-9876-5432"
    assert (body["days_needed"], body["time_slot"], body["status"]) == (10, "1820", "submitted")
    assert response["ETag"] != etag
    # and the history says who corrected which fields, without the values
    last = body["events"][-1]
    assert last["fields"] == ["phone", "address", "days_needed", "time_slot"]
    assert (last["from_status"], last["to_status"], last["note"]) == ("submitted", "submitted", "")
    assert last["by"] == case_worker_a.get_username()
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_type="delivery_request")
    assert audit.detail == {"fields": ["phone", "address", "days_needed", "time_slot"]}
    assert "305" not in str(audit.detail)
    assert "9876" not in str(last)


def test_the_same_correction_again_changes_nothing(network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a)
    assert _patch(case_worker_a, request, {"time_slot": "1820"}).status_code == 200
    before = _snapshot(request)

    again = _patch(case_worker_a, request, {"time_slot": "1820"})

    assert again.status_code == 200
    assert _snapshot(request) == before


@pytest.mark.parametrize("status", ["approved", "scheduled", "packed", "cancelled"])
def test_the_case_worker_may_not_correct_once_approved(network, case_worker_a, coordinator, status):
    request = bring_to(file_request(case_worker_a, network.agency_a), status, coordinator)
    before = _snapshot(request)

    response = _patch(case_worker_a, request, {"address": NEW_ADDRESS})

    assert response.status_code == 409
    assert response.json()["code"] == "not_correctable"
    assert _snapshot(request) == before


@pytest.mark.parametrize("status", ["submitted", "approved", "scheduled"])
def test_the_coordinator_corrects_until_packed(network, case_worker_a, coordinator, status):
    request = bring_to(file_request(case_worker_a, network.agency_a), status, coordinator)

    response = _patch(coordinator, request, {"address": NEW_ADDRESS, "delivery_date": tomorrow()})

    assert response.status_code == 200, response.content
    assert response.json()["recipient"]["building"] == "花園ハイツ305"
    assert response.json()["delivery_date"] == tomorrow()
    assert response.json()["status"] == status


@pytest.mark.parametrize("status", ["packed", "shipped", "delivered", "declined"])
def test_the_coordinator_may_not_correct_a_packed_or_closed_request(
    network, case_worker_a, coordinator, status
):
    request = bring_to(file_request(case_worker_a, network.agency_a), status, coordinator)
    before = _snapshot(request)

    response = _patch(coordinator, request, {"address": NEW_ADDRESS})

    assert response.status_code == 409
    assert response.json()["code"] == "not_correctable"
    assert _snapshot(request) == before


def test_others_may_not_correct_and_nothing_is_written(
    network, case_worker_a, case_worker_b, volunteer, other_coordinator
):
    request = file_request(case_worker_a, network.agency_a)
    before = _snapshot(request)

    # another agency's case worker and another food bank's coordinator do not see it; a volunteer
    # may not correct at all
    assert _patch(case_worker_b, request, {"address": NEW_ADDRESS}).status_code == 404
    assert _patch(other_coordinator, request, {"address": NEW_ADDRESS}).status_code == 404
    assert _patch(volunteer, request, {"address": NEW_ADDRESS}).status_code == 403
    assert api_client_for(None).patch(_url(request), {"time_slot": ""}, format="json").status_code == 401
    assert _snapshot(request) == before


def test_a_stale_if_match_is_refused_with_412_and_nothing_written(network, case_worker_a, coordinator):
    # given the case worker read the request, then the coordinator corrected the phone
    request = file_request(case_worker_a, network.agency_a)
    stale = api_client_for(case_worker_a).get(_url(request))["ETag"]
    assert _patch(coordinator, request, {"phone": "080-1111-2222"}).status_code == 200
    before = _snapshot(request)

    # when the case worker sends their correction with the version they read
    response = _patch(case_worker_a, request, {"phone": "080-3333-4444"}, HTTP_IF_MATCH=stale)

    # then it is refused and the coordinator's phone stands
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert _snapshot(request) == before
    # and with the current version it goes through
    fresh = api_client_for(case_worker_a).get(_url(request))["ETag"]
    assert _patch(case_worker_a, request, {"phone": "080-3333-4444"}, HTTP_IF_MATCH=fresh).status_code == 200


def test_a_retry_with_the_same_idempotency_key_replays_the_answer(network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a)
    etag = api_client_for(case_worker_a).get(_url(request))["ETag"]
    headers = {"HTTP_IF_MATCH": etag, "HTTP_IDEMPOTENCY_KEY": "fix-room-1"}
    first = _patch(case_worker_a, request, {"address": NEW_ADDRESS}, **headers)
    before = _snapshot(request)

    # the retry carries the version read before the first attempt: replayed, not refused
    retry = _patch(case_worker_a, request, {"address": NEW_ADDRESS}, **headers)

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["recipient"]["building"] == "花園ハイツ305"
    assert _snapshot(request) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"recipient": {"name": "別人"}}, "recipient"),
        ({"phone": "12345"}, "phone"),
        ({"address": {"postal_code": "000-0000", "address": "どこか1-1"}}, "address"),
        ({"days_needed": 40}, "days_needed"),
        ({"delivery_date": "2000-01-01"}, "delivery_date"),
        ({"extras": [{"item": "diapers"}]}, "extras"),
    ],
)
def test_invalid_corrections_are_refused_field_by_field(network, case_worker_a, body, field):
    request = file_request(case_worker_a, network.agency_a)
    before = _snapshot(request)

    response = _patch(case_worker_a, request, body)

    assert response.status_code == 400, response.content
    assert field in str(response.json())
    assert _snapshot(request) == before


def test_needs_are_corrected_field_by_field(network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a, allergies="えび")

    response = _patch(
        case_worker_a,
        request,
        {
            "cooking": {"gas": True},
            "dietary": {"allergies": "えび・卵"},
            "extras": [{"item": "diapers", "size": "L", "quantity": 2}],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cooking"]["gas"] is True
    assert body["dietary"]["allergies"] == "えび・卵"
    assert [(e["item"], e["size"], e["quantity"]) for e in body["extras"]] == [("diapers", "L", 2)]
    assert body["events"][-1]["fields"] == ["cooking", "allergies", "extras"]


def test_allergen_codes_are_corrected_as_a_recorded_change(network, case_worker_a):
    # Given a request filed with えび in the free text only
    request = file_request(case_worker_a, network.agency_a, allergies="えび")

    # When the case worker ticks 卵 and 小麦
    response = _patch(case_worker_a, request, {"dietary": {"allergens": ["wheat", "egg"]}})

    # Then they are stored, the text stays, and the event names the field (never the values)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dietary"]["allergies"] == "えび"
    assert body["dietary"]["allergens"] == ["shrimp", "wheat", "egg"]
    assert body["events"][-1]["fields"] == ["allergens"]
    assert DeliveryRequest.objects.get(pk=request.pk).allergens == ["wheat", "egg"]
    # and the same codes again change nothing
    again = _patch(case_worker_a, request, {"dietary": {"allergens": ["egg", "wheat"]}})
    assert again.status_code == 200
    assert DeliveryRequestEvent.objects.filter(request=request).count() == len(body["events"])


def test_an_unknown_allergen_code_in_a_correction_is_refused_and_nothing_written(network, case_worker_a):
    request = file_request(case_worker_a, network.agency_a, allergens=["milk"])
    before = _snapshot(request)

    response = _patch(case_worker_a, request, {"dietary": {"allergens": ["shrimp", "lobster"]}})

    assert response.status_code == 400, response.content
    assert "lobster" in str(response.json()["dietary"]["allergens"])
    assert _snapshot(request) == before
    assert DeliveryRequest.objects.get(pk=request.pk).allergens == ["milk"]
