"""GET /api/v1/delivery-requests/changes/?since=<cursor>: what changed for the agency, lossless."""

import threading

import pytest
from django.db import connection, transaction

from referrals import services
from referrals.models import DeliveryRequest
from tests.helpers import wait_for
from tests.referrals.factories import TRACKING_NUMBER, bring_to, file_request

URL = "/api/v1/delivery-requests/changes/"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _read(client, since=None):
    response = client.get(URL, {"since": since} if since else {})
    assert response.status_code == 200, response.content
    return response.json()


def _types(page):
    return [(c["data"]["request_id"], c["type"]) for c in page["results"]]


def test_the_agency_reads_its_requests_changes_in_order_and_continues_from_its_cursor(
    api, network, coordinator, case_worker_a, case_worker_b
):
    # given agency A's request shipped, and agency B's request declined
    mine = file_request(case_worker_a, network.agency_a)
    DeliveryRequest.objects.filter(pk=mine.pk).update(client_reference="A-1")
    bring_to(mine, "shipped", coordinator)
    theirs = file_request(case_worker_b, network.agency_b)
    services.decline_request(request_id=theirs.pk, by=coordinator, reason="対象外")
    client = api(case_worker_a)

    # when agency A reads the feed from the start
    page = wait_for(lambda: (p := _read(client)) and len(p["results"]) == 5 and p, message="five changes")

    # then it gets its own request's five changes, oldest first, and nothing of agency B's
    assert _types(page) == [
        (mine.pk, "delivery_request.submitted"),
        (mine.pk, "delivery_request.approved"),
        (mine.pk, "delivery_request.scheduled"),
        (mine.pk, "delivery_request.packed"),
        (mine.pk, "delivery_request.shipped"),
    ]
    shipped = page["results"][-1]
    assert shipped["data"] == {
        "request_id": mine.pk,
        "reference": mine.reference,
        "client_reference": "A-1",
        "agency": network.agency_a.pk,
        "from_status": "packed",
        "status": "shipped",
        "tracking_number": TRACKING_NUMBER,
        "tracking_url": shipped["data"]["tracking_url"],
        "reason": "",
        "fields": [],
    }
    assert shipped["data"]["tracking_url"].endswith(TRACKING_NUMBER)
    assert shipped["id"].startswith("evt_dr_")
    # and nothing personal travels in the feed
    assert "山田" not in str(page)
    assert page["has_more"] is False

    # when it reads again from the cursor it was given, after the parcel was delivered
    services.mark_delivered(request_id=mine.pk, by=coordinator)
    later = wait_for(
        lambda: (p := _read(client, page["next_cursor"]))["results"] and p, message="the delivery"
    )

    # then only the new change comes
    assert _types(later) == [(mine.pk, "delivery_request.delivered")]
    # and agency B's case worker sees only the decline of its own request, with the reason
    assert [(c["type"], c["data"]["reason"]) for c in _read(api(case_worker_b))["results"]] == [
        ("delivery_request.submitted", ""),
        ("delivery_request.declined", "対象外"),
    ]


def test_a_bad_cursor_is_400_and_other_roles_are_refused(api, network, case_worker_a, volunteer, integration):
    assert api(case_worker_a).get(URL, {"since": "yesterday"}).json()["code"] == "invalid_cursor"
    assert api(volunteer).get(URL).status_code == 403
    assert api(integration).get(URL).status_code == 403
    assert api(None).get(URL).status_code in (401, 403)


def test_a_change_committed_late_with_a_lower_id_is_not_skipped(api, network, coordinator, case_worker_a):
    # given two submitted requests of agency A, their submissions read by the agency's system
    first = file_request(case_worker_a, network.agency_a)
    second = file_request(case_worker_a, network.agency_a)
    client = api(case_worker_a)
    start = wait_for(lambda: (p := _read(client)) and len(p["results"]) == 2 and p, message="submissions")
    cursor = start["next_cursor"]

    # when one transaction approves the first request (the lower event id) but has not committed,
    written, commit = threading.Event(), threading.Event()

    def slow_approval():
        try:
            with transaction.atomic():
                services.approve_request(request_id=first.pk, by=coordinator)
                written.set()
                assert commit.wait(60)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_approval)
    thread.start()
    assert written.wait(60)
    # and another approves the second request and commits first
    services.approve_request(request_id=second.pk, by=coordinator)
    # and the agency's system reads the feed in between
    between = _read(client, cursor)

    # then it is not told about the second approval yet: that would move its cursor past the first
    assert between["results"] == []
    assert between["next_cursor"] == cursor

    # when the first transaction commits
    commit.set()
    thread.join(60)

    # then reading on from the same cursor gives both approvals, the late one included, once each
    seen = []

    def caught_up():
        nonlocal cursor
        page = _read(client, cursor)
        seen.extend(_types(page))
        cursor = page["next_cursor"]
        return len(seen) >= 2

    wait_for(caught_up, message="both approvals")
    assert seen == [(first.pk, "delivery_request.approved"), (second.pk, "delivery_request.approved")]


def test_a_correction_is_a_change_with_the_fields_and_without_the_values(
    api, network, case_worker_a, coordinator
):
    # given agency A's request, corrected by the coordinator (a new room and phone)
    mine = file_request(case_worker_a, network.agency_a)
    patched = api(coordinator).patch(
        f"/api/v1/delivery-requests/{mine.pk}/",
        {
            "phone": "080-9876-5432",
            "address": {"postal_code": "047-0024", "address": "花園2丁目6-7", "building": "緑ハイツ305"},
        },
        format="json",
    )
    assert patched.status_code == 200, patched.content

    # when agency A reads its feed
    page = wait_for(lambda: (p := _read(api(case_worker_a))) and len(p["results"]) == 2 and p, message="two")

    # then the correction is there, naming the fields, and neither the new room nor the new number
    assert _types(page) == [(mine.pk, "delivery_request.submitted"), (mine.pk, "delivery_request.corrected")]
    corrected = page["results"][-1]["data"]
    assert (corrected["status"], corrected["from_status"]) == ("submitted", "submitted")
    assert corrected["fields"] == ["phone", "address"]
    assert "305" not in str(page)
    assert "9876" not in str(page)
