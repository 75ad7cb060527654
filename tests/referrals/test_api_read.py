"""GET /api/v1/delivery-requests/ and /{id}/: who sees what (docs/spec.md §2), and the audit of views."""

import pytest
from django.db import connection

from foodbank.models import AuditEvent, Role
from referrals import selectors
from referrals.models import DeliveryRequest

from .factories import TRACKING_NUMBER, TRACKING_URL, bring_to

pytestmark = [pytest.mark.django_db, pytest.mark.binding]

URL = "/api/v1/delivery-requests/"


def test_case_worker_sees_their_agency_s_requests_only(api, submitted, agency_b_request, case_worker_a):
    response = api(case_worker_a).get(URL)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [submitted.pk]
    assert response.json()["count"] == 1


def test_another_agency_s_request_is_404(api, agency_b_request, case_worker_a):
    response = api(case_worker_a).get(f"{URL}{agency_b_request.pk}/")

    assert response.status_code == 404
    # Not shown, so not recorded as shown.
    assert not AuditEvent.objects.filter(action="view").exists()


def test_a_request_that_does_not_exist_is_404_with_nothing_recorded(api, submitted, coordinator):
    response = api(coordinator).get(f"{URL}{10**12}/")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="view").exists()


def test_coordinator_sees_the_food_bank_s_requests_and_the_view_is_recorded(
    api, submitted, agency_b_request, coordinator
):
    listing = api(coordinator).get(URL)
    detail = api(coordinator).get(f"{URL}{agency_b_request.pk}/")

    assert [r["id"] for r in listing.json()["results"]] == [agency_b_request.pk, submitted.pk]
    assert detail.status_code == 200
    assert detail.json()["situation"]["note"] == "生活保護申請中"
    views = AuditEvent.objects.filter(action="view").order_by("pk")
    assert [(v.actor, v.object_type, v.object_id, v.subject_id) for v in views] == [
        (coordinator, "delivery_request", "list", None),
        (coordinator, "delivery_request", str(agency_b_request.pk), agency_b_request.recipient_id),
    ]
    assert views[0].detail == {
        "ids": [agency_b_request.pk, submitted.pk],
        "subjects": sorted([agency_b_request.recipient_id, submitted.recipient_id]),
    }
    assert views[1].actor_role == "coordinator"
    # Whence it was asked, as every view's event.
    assert (views[1].ip_address, views[1].path) == ("127.0.0.1", f"{URL}{agency_b_request.pk}/")
    assert views[1].detail == {}


def test_a_view_is_recorded_in_the_request_s_food_bank(api, network, submitted, coordinator):
    from foodbank.services import grant_role

    # A coordinator of two food banks: the event belongs to the request's, so that its
    # coordinators find it, not to a tenant guessed from the viewer's roles (there are two).
    grant_role(user=coordinator, role=Role.COORDINATOR, organisation=network.other_food_bank)

    assert api(coordinator).get(f"{URL}{submitted.pk}/").status_code == 200
    assert AuditEvent.objects.get(action="view").food_bank_id == submitted.food_bank_id


def test_another_food_bank_s_coordinator_gets_404(api, submitted, other_coordinator):
    assert api(other_coordinator).get(f"{URL}{submitted.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="view").exists()
    assert api(other_coordinator).get(URL).json()["results"] == []


@pytest.mark.parametrize("actor", ["volunteer", "window_staff_a", "integration"])
def test_other_roles_are_403(api, request, submitted, actor):
    user = request.getfixturevalue(actor)

    assert api(user).get(URL).status_code == 403
    assert api(user).get(f"{URL}{submitted.pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="view").exists()


def test_case_worker_follows_status_tracking_and_events(
    api, submitted, coordinator, volunteer, case_worker_a
):
    bring_to(submitted, "shipped", coordinator)

    answer = api(case_worker_a).get(f"{URL}{submitted.pk}/").json()

    assert answer["status"] == "shipped"
    assert answer["tracking_number"] == TRACKING_NUMBER
    assert answer["tracking_url"] == TRACKING_URL
    assert answer["batch_ref"] == "B-20250601"
    assert [(e["from_status"], e["to_status"]) for e in answer["events"]] == [
        (None, "submitted"),
        ("submitted", "approved"),
        ("approved", "scheduled"),
        ("scheduled", "packed"),
        ("packed", "shipped"),
    ]
    assert answer["events"][1]["by"] == "coordinator"
    assert answer["events"][4]["note"] == TRACKING_NUMBER
    listing = api(case_worker_a).get(URL).json()["results"]
    assert (listing[0]["tracking_number"], listing[0]["tracking_url"]) == (TRACKING_NUMBER, TRACKING_URL)


def test_list_filters_by_status(api, submitted, agency_b_request, coordinator):
    bring_to(submitted, "approved", coordinator)

    approved = api(coordinator).get(URL, {"status": "approved"}).json()["results"]
    waiting = api(coordinator).get(URL, {"status": "submitted"}).json()["results"]

    assert [r["id"] for r in approved] == [submitted.pk]
    assert [r["id"] for r in waiting] == [agency_b_request.pk]


def test_detail_takes_a_fixed_number_of_queries(api, submitted, coordinator, django_assert_num_queries):
    bring_to(submitted, "shipped", coordinator)
    client = api(coordinator)
    client.get(f"{URL}{submitted.pk}/")

    # 1 token with its user and the user's memberships (one join); 1 round trip of four statements
    # (foodbank.prepared.run_together): the request with recipient, agency, filer and Navi answers
    # joined, its events with their users, the person's consents with withdrawals, its referrals
    # with their targets (each its own result: joining them would multiply the rows); 1 the audit
    # event (written only once the request is known to be visible). Five events or fifty, the
    # same three. Binding on the server (the default, DB_PREPARED_STATEMENTS) the four are one
    # pipeline (one round trip, tests/foodbank/test_prepared.py) that Django logs as four executes;
    # on SQLite they are sent one at a time: six either way.
    from foodbank.prepared import binds_client_side

    together = binds_client_side(connection)
    with django_assert_num_queries(3 if together else 6) as captured:
        response = client.get(f"{URL}{submitted.pk}/")

    if together:
        assert captured.captured_queries[1]["sql"].count(";\n") == 3  # four statements, one trip

    assert response.status_code == 200
    assert len(response.json()["events"]) == 5


def test_list_takes_a_fixed_number_of_queries(api, network, case_worker_a, django_assert_num_queries):
    from .factories import file_request

    for _ in range(3):
        file_request(case_worker_a, network.agency_a)
    client = api(case_worker_a)
    client.get(URL)  # a token's first use also stores last_used_at (at most once a minute)

    # 1 token with its user and memberships (one join), 1 count, 1 the page with joins, 1 audit event.
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert len(response.json()["results"]) == 3


def test_the_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert {
        "/api/v1/delivery-requests/",
        "/api/v1/delivery-requests/{id}/",
        "/api/v1/delivery-requests/{id}/approve/",
        "/api/v1/delivery-requests/{id}/decline/",
        "/api/v1/delivery-requests/{id}/cancel/",
        "/api/v1/intake/navi/",
        "/api/v1/consents/{id}/withdraw/",
        "/api/v1/enrolments/",
    } <= set(schema["paths"])
    # Yamato's time slots; "" (no preference) is drf-spectacular's separate BlankEnum
    assert schema["components"]["schemas"]["TimeSlotEnum"]["enum"] == ["0812", "1416", "1618", "1820", "1921"]


def _assert_matches(serializer, data):
    from rest_framework import serializers

    assert set(data) == set(serializer.fields), type(serializer).__name__
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            for item in data[name]:
                _assert_matches(field.child, item)
        elif isinstance(field, serializers.Serializer) and data[name] is not None:
            _assert_matches(field, data[name])


def test_answers_have_exactly_the_documented_fields(api, network, submitted, coordinator, integration):
    from referrals.serializers import DeliveryRequestOut, DeliveryRequestSummaryOut

    from .factories import navi_body

    bring_to(submitted, "shipped", coordinator)
    navi_id = api(integration).post("/api/v1/intake/navi/", navi_body(), format="json").json()["id"]
    client = api(coordinator)

    for pk in (submitted.pk, navi_id):
        detail = client.get(f"{URL}{pk}/").json()
        _assert_matches(DeliveryRequestOut(), detail)
    assert client.get(f"{URL}{navi_id}/").json()["navi"]["application_id"] == "NAVI-2025-000123"
    for item in client.get(URL).json()["results"]:
        _assert_matches(DeliveryRequestSummaryOut(), item)


@pytest.mark.django_db
def test_the_detail_sees_exactly_what_the_list_scope_sees(
    network,
    submitted,
    agency_b_request,
    coordinator,
    other_coordinator,
    case_worker_a,
    case_worker_b,
    window_staff_a,
    volunteer,
):
    # request_detail checks visibility on the row it read by key (compiled once, foodbank.prepared);
    # it must agree with visible_requests for every role, or a detail would leak or vanish.
    for user in (coordinator, other_coordinator, case_worker_a, case_worker_b, window_staff_a, volunteer):
        for request in (submitted, agency_b_request):
            in_scope = selectors.visible_requests(user).filter(pk=request.pk).exists()
            try:
                selectors.request_detail(user, request.pk)
                shown = True
            except DeliveryRequest.DoesNotExist:
                shown = False
            assert shown is in_scope, (user.username, request.pk)
    assert selectors.visible_requests(case_worker_a).filter(pk=agency_b_request.pk).exists() is False
