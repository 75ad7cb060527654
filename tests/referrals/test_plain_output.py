"""The plain renderer of a delivery request's answer (referrals.serializers.render_request, which
the API's hot answers call without instantiating serializers) against DeliveryRequestOut: the same
dict on requests in every status and shape; times exactly as DRF's DateTimeField writes them; and
every field the serializer declares (the OpenAPI schema's source) present in the answer, and no
other."""

from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from referrals import selectors, services
from referrals.models import ConsentRecord, DeliveryRequest, Referral
from referrals.serializers import DeliveryRequestOut, _common, consents, delivery_requests, render_request

from .factories import PATHS, body, bring_to, navi_body, recipient_input, tomorrow

URL = "/api/v1/delivery-requests/"
ZONES = (None, "UTC", "America/New_York", "Asia/Kolkata")

_DATETIME = serializers.DateTimeField()


# --- Times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_times_are_written_as_drf_s_datetime_field_writes_them(zone):
    instants = [
        datetime(2026, 12, 6, 22, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 6, 22, 5, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # New York's spring forward
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # and its fall back (fold)
        datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
        datetime(2026, 6, 1, 9, 0, tzinfo=dt_timezone(timedelta(hours=-3, minutes=-30))),
        datetime(1, 1, 1, 12, 0, tzinfo=UTC),
        datetime(9999, 12, 31, 12, 0, tzinfo=UTC),
        timezone.now(),
    ]
    naive = [datetime(2026, 6, 1, 9, 0), datetime(2026, 6, 1, 9, 0, 1)]  # noqa: DTZ001 (the field's case)
    others = [None, "", "2026-06-01T09:00:00Z"]
    with timezone.override(zone) if zone else timezone.override(timezone.get_default_timezone()):
        current = timezone.get_current_timezone()
        for value in [*instants, *naive, *others]:
            expected = _DATETIME.to_representation(value) if value else None
            assert _common._dt(value) == expected, value
            assert _common._dt(value, current) == expected, value


def test_a_time_out_of_range_in_the_current_zone_is_refused_as_drf_refuses_it():
    edge = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
    with timezone.override("America/New_York"):
        with pytest.raises(serializers.ValidationError) as drf:
            _DATETIME.to_representation(edge)
        with pytest.raises(serializers.ValidationError) as plain:
            _common._dt(edge)
    assert plain.value.detail == drf.value.detail


# --- Whole answers -------------------------------------------------------------------------------


def _drf_times(monkeypatch):
    """Every time of the answer written by DRF's own DateTimeField (what the serializer did before
    the plain renderer), whatever ``tz`` the renderer hands over."""

    def drf_dt(value, tz=None):
        return _DATETIME.to_representation(value) if value else None

    monkeypatch.setattr(delivery_requests, "_dt", drf_dt)
    monkeypatch.setattr(consents, "_dt", drf_dt)


@pytest.fixture
def varied(api, network, case_worker_a, case_worker_b, coordinator, integration):
    """Requests in every status and shape: filed through the API (bodies of every kind) and the
    services, moved through the workflow, corrected, referred, consent withdrawn, packed around
    allergies, and a Navi self-referral. Returns their keys."""
    filer = api(case_worker_a)
    bodies = [
        body(),
        body(delivery_date=tomorrow(), client_reference="C-9"),
        body(recipient__phone="", recipient__building="", recipient__name_kana=""),
        body(dietary={}, cooking={}, extras=[], time_slot="", situation={"category": "other"}),
        body(
            dietary={"allergies": "そば・乳", "allergens": ["egg", "shrimp"], "note": ""},
            extras=[{"item": "other", "note": "粉ミルク"}, {"item": "diapers", "size": "xl", "quantity": 20}],
            household={
                "type": "family",
                "adults": 2,
                "children": 3,
                "children_ages": [1, 5, 12],
                "elderly": 1,
            },
            situation={"category": "job_loss", "note": "", "no_food_today": True},
        ),
        body(consent={"share_with_foodbank": True}),
    ]
    pks = []
    for one in bodies:
        answer = filer.post(URL, one, format="json")
        assert answer.status_code == 201, answer.content
        pks.append(answer.json()["id"])
    # one in every status
    for status in PATHS:
        request = services.file_delivery_request(
            filed_by=case_worker_a,
            agency=network.agency_a,
            recipient=recipient_input(building="ハイツ2", name_kana=""),
            household=services.HouseholdInput(type="single", adults=1),
            needs=services.NeedsInput(situation_category="welfare_pending", situation_note="申請中"),
            consents=[
                services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK),
                services.ConsentInput(purpose=ConsentRecord.Purpose.REFERRAL),
            ],
        )
        bring_to(request, status, coordinator)
        pks.append(request.pk)
    # another agency's, filed by a user with a full name
    case_worker_b.first_name, case_worker_b.last_name = "次郎", "佐藤"
    case_worker_b.save()
    pks.append(api(case_worker_b).post(URL, body(), format="json").json()["id"])
    # corrected (an event naming fields), referred, the referral's consent then withdrawn
    corrected = pks[0]
    assert (
        filer.patch(f"{URL}{corrected}/", {"time_slot": "1820", "days_needed": 3}, format="json").status_code
        == 200
    )
    first = DeliveryRequest.objects.get(pk=corrected)
    for _ in range(2):
        services.create_referral(
            by=coordinator,
            recipient_id=first.recipient_id,
            source=Referral.Source.DELIVERY_REQUEST,
            delivery_request_id=first.pk,
            needs="家計の相談",
        )
    referral_consent = ConsentRecord.objects.get(
        recipient_id=first.recipient_id, purpose=ConsentRecord.Purpose.REFERRAL
    )
    services.withdraw_consent(
        consent_id=referral_consent.pk, by=case_worker_a, organisation_id=network.agency_a.pk
    )
    # its consent to share withdrawn (the request is cancelled)
    shared = ConsentRecord.objects.get(
        recipient__delivery_requests__pk=pks[1], purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK
    )
    services.withdraw_consent(consent_id=shared.pk, by=case_worker_a, organisation_id=network.agency_a.pk)
    # packed around allergies
    services.record_allergen_packing(
        packed={
            pks[4]: [
                services.AllergenPacking(
                    kind="alternative",
                    pack="家庭向けパック",
                    alternative="卵不使用パック",
                    allergens=("egg",),
                ),
                services.AllergenPacking(
                    kind="substitution", pack="米", alternative="", allergens=("shrimp",)
                ),
            ]
        }
    )
    # a Navi self-referral
    navi = api(integration).post("/api/v1/intake/navi/", navi_body(), format="json")
    assert navi.status_code == 201, navi.content
    pks.append(navi.json()["id"])
    return pks


@pytest.mark.django_db
def test_the_plain_answer_is_the_serializer_s_on_every_kind_of_request(
    monkeypatch, api, varied, coordinator, case_worker_a
):
    answers = 0
    for pk in varied:
        request = DeliveryRequest.objects.select_related("recipient", "agency", "filed_by").get(pk=pk)
        for zone in ZONES:
            with timezone.override(zone) if zone else timezone.override(timezone.get_default_timezone()):
                for user in (coordinator, case_worker_a):
                    try:
                        detail = selectors.request_detail(user, pk)
                    except DeliveryRequest.DoesNotExist:
                        continue
                    details = [detail, selectors.request_with_history(pk), selectors.history(request)]
                    for one in details:
                        plain = render_request(one)
                        assert plain == DeliveryRequestOut(one).data
                        with monkeypatch.context() as m:
                            _drf_times(m)
                            assert render_request(one) == plain
                        answers += 1
    assert answers >= len(varied) * len(ZONES) * 3
    # and over HTTP, for each reader
    for user in (coordinator, case_worker_a):
        client = api(user)
        for pk in varied:
            response = client.get(f"{URL}{pk}/")
            if response.status_code == 404:
                continue
            assert response.json() == render_request(selectors.request_detail(user, pk))


def _same_fields(serializer, data, path="answer") -> int:
    """The keys of ``data`` are the fields ``serializer`` declares, all the way down; an empty list
    or a null would check nothing below it, so the request must have every one filled."""
    assert set(data) == set(serializer.fields), path
    checked = 1
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            assert data[name], f"{path}.{name} is empty: fill it to check its fields"
            for item in data[name]:
                checked += _same_fields(field.child, item, f"{path}.{name}[]")
        elif isinstance(field, serializers.Serializer):
            assert data[name] is not None, f"{path}.{name} is null: fill it to check its fields"
            checked += _same_fields(field, data[name], f"{path}.{name}")
    return checked


@pytest.mark.django_db
def test_a_fully_populated_answer_has_every_declared_field_and_no_other(
    api, network, integration, coordinator
):
    # Given a Navi self-referral (its answers), corrected by a coordinator (an event naming fields:
    # extras and allergies added), a referral made (the person wished one) and its consent then
    # withdrawn, and what packing did about the allergies
    created = api(integration).post("/api/v1/intake/navi/", navi_body(), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    request = DeliveryRequest.objects.get(pk=pk)
    correction = {
        "dietary": {"allergies": "えび", "allergens": ["egg"], "note": "少なめ"},
        "extras": [{"item": "diapers", "size": "M", "quantity": 1}],
    }
    assert api(coordinator).patch(f"{URL}{pk}/", correction, format="json").status_code == 200
    services.approve_request(request_id=pk, by=coordinator)
    referral = services.create_referral(
        by=coordinator,
        recipient_id=request.recipient_id,
        source=Referral.Source.DELIVERY_REQUEST,
        delivery_request_id=pk,
        target=network.window_a,  # the person lives in Sapporo: no window of the network's is proposed
    )
    services.withdraw_consent(
        consent_id=referral.consent_id, by=coordinator, organisation_id=network.food_bank.pk
    )
    services.record_allergen_packing(
        packed={
            pk: [
                services.AllergenPacking(
                    kind="alternative",
                    pack="家庭向けパック",
                    alternative="卵不使用パック",
                    allergens=("egg",),
                )
            ]
        }
    )

    # When it is rendered, plainly and by GET
    plain = render_request(selectors.request_detail(coordinator, pk))
    seen = api(coordinator).get(f"{URL}{pk}/").json()

    # Then both have exactly the serializer's fields, at every level (a field declared on
    # DeliveryRequestOut or a nested serializer but not rendered fails here)
    assert _same_fields(DeliveryRequestOut(), plain) > 10
    assert _same_fields(DeliveryRequestOut(), seen) > 10
    assert plain["navi"] is not None
    assert any(c["withdrawn_at"] for c in plain["consents"])
    assert plain == seen
