"""POST /api/v1/intake/navi/: self-referrals from the Navi integration."""

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.throttling import ScopedRateThrottle

from foodbank.models import IdempotencyKey
from foodbank.throttling import ClientScopedRateThrottle
from referrals import selectors
from referrals.api import NaviIntakeView
from referrals.models import ConsentRecord, DeliveryRequest, NaviApplication, Recipient

from .factories import navi_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/intake/navi/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _nothing_stored():
    assert NaviApplication.objects.count() == 0
    assert DeliveryRequest.objects.count() == 0
    assert Recipient.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


def test_navi_application_becomes_a_request_triaged_like_others(api, network, integration, coordinator):
    response = api(integration).post(URL, navi_body(), format="json", HTTP_IDEMPOTENCY_KEY="navi-123")

    # The integration learns its submission's id and status, nothing more
    assert response.status_code == 201
    request = DeliveryRequest.objects.get()
    assert response.json() == {"id": request.pk, "reference": request.reference, "status": "submitted"}
    assert (request.source, request.agency, request.food_bank_id, request.filed_by) == (
        "navi",
        None,
        network.food_bank.pk,
        integration,
    )
    assert request.urgency == ["no_food_today", "no_cook"]
    # The answers are fields, for reporting
    navi = NaviApplication.objects.get()
    assert (
        navi.application_id,
        navi.household_type,
        navi.lost_income,
        navi.lost_job,
        navi.has_debts,
        navi.first_time_at_food_bank,
        navi.has_someone_to_consult,
        navi.wants_referral,
    ) == ("NAVI-2025-000123", "single", True, True, True, True, False, True)
    assert navi.debts_note == "消費者金融 約50万円"
    with connection.cursor() as cursor:
        cursor.execute("SELECT debts_note FROM referrals_naviapplication")
        (stored,) = cursor.fetchone()
    assert stored.startswith("v1:")
    assert "消費者金融" not in stored
    # "Wants details passed to a support agency" is a referral consent, given electronically
    assert sorted((c.purpose, c.decision, c.method) for c in ConsentRecord.objects.all()) == [
        ("referral", "given", "electronic"),
        ("share_with_foodbank", "given", "electronic"),
    ]
    assert "debts" in ConsentRecord.objects.get(purpose="share_with_foodbank").data_categories
    # and it waits in the coordinator's triage queue
    assert [r.pk for r in selectors.triage_queue(coordinator)] == [request.pk]
    detail = api(coordinator).get(f"/api/v1/delivery-requests/{request.pk}/").json()
    assert detail["navi"]["has_someone_to_consult"] is False


def test_a_replayed_application_returns_the_first_answer(api, integration):
    first = api(integration).post(URL, navi_body(), format="json", HTTP_IDEMPOTENCY_KEY="navi-123")
    again = api(integration).post(URL, navi_body(), format="json", HTTP_IDEMPOTENCY_KEY="navi-123")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert NaviApplication.objects.count() == 1


def test_the_same_application_id_twice_is_409(api, integration):
    api(integration).post(URL, navi_body(), format="json")

    response = api(integration).post(URL, navi_body(), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_application"
    assert NaviApplication.objects.count() == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Token 0000000000000000000000000000000000000000", "Bearer something", "Token"],
    ids=["missing", "wrong", "other-scheme", "empty"],
)
def test_without_a_valid_token_it_is_401_and_nothing_is_stored(client, network, integration, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.post(URL, navi_body(), content_type="application/json", **headers)

    assert response.status_code == 401
    _nothing_stored()


def test_a_logged_in_session_is_not_enough(client, coordinator):
    client.force_login(coordinator)

    response = client.post(URL, navi_body(), content_type="application/json")

    assert response.status_code == 401
    _nothing_stored()


@pytest.mark.parametrize("actor", ["case_worker_a", "coordinator", "volunteer"])
def test_other_roles_tokens_are_403(api, request, actor):
    response = api(request.getfixturevalue(actor)).post(URL, navi_body(), format="json")

    assert response.status_code == 403
    _nothing_stored()


@pytest.mark.parametrize(
    ("changes", "field_path"),
    [
        ({"consent": {"share_with_foodbank": False}}, ["consent", "share_with_foodbank"]),
        ({"household": {"type": "single", "adults": -1}}, ["household", "adults"]),
        ({"time_slot": "2024"}, ["time_slot"]),
        ({"application_id": ""}, ["application_id"]),
    ],
)
def test_bad_applications_are_400_naming_the_field(api, integration, changes, field_path):
    response = api(integration).post(URL, navi_body(**changes), format="json")

    assert response.status_code == 400
    errors = response.json()
    for part in field_path:
        errors = errors[part]
    assert errors
    _nothing_stored()


def test_intake_is_rate_limited_per_client(api, integration, monkeypatch):
    assert NaviIntakeView.throttle_scope == "navi_intake"
    assert ClientScopedRateThrottle in NaviIntakeView.throttle_classes
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "navi_intake", "2/min")
    client = api(integration)

    answers = [
        client.post(URL, navi_body(application_id=f"NAVI-{n}"), format="json").status_code for n in range(3)
    ]

    assert answers == [201, 201, 429]
    assert NaviApplication.objects.count() == 2
