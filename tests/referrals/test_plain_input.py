"""The plain input path of POST /api/v1/delivery-requests/ (referrals.serializers.
plain_delivery_request_input) against DeliveryRequestIn on the same bodies: a body it takes gives
exactly the serializer's validated data; every body the serializer refuses (and every one it would
coerce) it leaves to the serializer, so each refusal's 400 body is the serializer's."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.serializers import DeliveryRequestIn, plain_delivery_request_input

from .factories import body

URL = "/api/v1/delivery-requests/"


class _Days(int):
    """A delivery date ``n`` days from the day the test runs, not the day it was collected: a run
    that crosses midnight in Tokyo would otherwise test yesterday's boundaries."""

    pattern = "%Y-%m-%d"


def _days(n: int, pattern: str = _Days.pattern) -> _Days:
    days = _Days(n)
    days.pattern = pattern
    return days


def _dated(data):
    """``data`` with every _Days placeholder turned into that day's date, as a string."""
    if isinstance(data, _Days):
        return (timezone.localdate() + timedelta(days=int(data))).strftime(data.pattern)
    if isinstance(data, dict):
        return {key: _dated(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_dated(value) for value in data]
    return data


FULL = {
    "days_needed": 31,
    "cooking": dict.fromkeys(("gas", "electricity", "water", "microwave", "kettle", "portable_stove"), True),
    "dietary": {"allergies": " えび ", "allergens": ["egg", "shrimp", "egg"], "note": " たんぱく質 "},
    "extras": [
        {"item": "diapers", "size": " xl ", "quantity": 20, "note": ""},
        {"item": "other", "note": " 粉ミルク "},
    ],
    "delivery_date": _days(90),
    "time_slot": "1416",
    "client_reference": "  C-1  ",
    "agency": 2**63 - 1,
}

# Bodies both take: the value of each must be the serializer's.
ACCEPTED = [
    body(),
    {**body(), **FULL},
    body(delivery_date=_days(1)),
    body(delivery_date=_days(0)),
    body(delivery_date=None, time_slot=""),
    body(days_needed=1, extras=[]),
    body(cooking={}),
    body(dietary={}),
    body(recipient__phone=""),
    body(recipient__phone="  "),
    body(recipient__phone="０９０－１２３４－５６７８"),
    body(recipient__address="北海道小樽市花園2丁目6−7"),
    body(recipient__prefecture="北海道", recipient__municipality="小樽市"),
    body(recipient__postal_code="0470024", recipient__name="  山田 花子  "),
    body(household={"type": "single"}),
    body(household={"type": "family", "adults": 0, "children": 2, "children_ages": [], "elderly": 1}),
    body(situation={"category": "other"}),
    body(situation={"category": "job_loss", "note": "", "no_food_today": True}),
    body(consent={"share_with_foodbank": True}),
    body(
        consent={
            "share_with_foodbank": True,
            "referral": False,
            "phone_contact": None,
            "method": "verbal",
            "witness_name": " 佐藤 ",
            "by_guardian": True,
            "guardian_name": "山田 一郎",
            "wording_version": "2024-01",
            "given_at": None,
        }
    ),
    body(agency=None, client_reference=""),
]

# Bodies the plain path leaves to the serializer: refused by it, or coerced by it.
NOT_PLAIN = [
    ["not", "an", "object"],
    body(surprise=1),
    body(recipient__surprise=1),
    body(days_needed="7"),  # coerced by the serializer
    body(days_needed=True),
    body(days_needed=0),
    body(days_needed=32),
    body(days_needed=7.0),
    body(cooking={"gas": "true"}),
    body(cooking=None),
    body(dietary={"allergens": ["lobster"]}),
    body(dietary={"allergens": "egg"}),
    body(dietary={"allergies": "x" * 501}),
    body(extras=[{"item": "diapers"}]),
    body(extras=[{"item": "diapers", "size": "XXXL"}]),
    body(extras=[{"item": "other", "note": " "}]),
    body(extras=[{"item": "toys"}]),
    body(extras=[{"item": "rice", "quantity": 21}]),
    body(extras=[{"item": "rice"}] * 11),
    body(extras={"item": "rice"}),
    body(delivery_date=_days(-1)),
    body(delivery_date=_days(91)),
    body(delivery_date="2026-1-5"),
    body(delivery_date="2026-02-30"),
    body(delivery_date=_days(1, "%Y%m%d")),  # coerced by the serializer
    body(time_slot="9999"),
    body(time_slot=1416),
    body(recipient__name=""),
    body(recipient__name="   "),
    body(recipient__name="x" * 65),
    body(recipient__name="a\u202eb"),
    body(recipient__name="a\x00b"),
    body(recipient__name="a\ud800b"),
    body(recipient__name=None),
    body(recipient__address="北海道小樽市"),
    body(recipient__building="\u2066"),
    body(recipient__phone="12"),
    body(recipient__phone=9012345678),
    body(recipient__postal_code="0000000"),
    body(recipient__postal_code="047"),
    body(recipient__prefecture="東京都"),
    body(recipient__municipality="札幌市"),
    body(recipient=None),
    body(recipient="x"),
    body(household={"type": "crowd"}),
    body(household={"type": "single", "adults": 0}),
    body(household={"type": "family", "children": 2, "children_ages": [4]}),
    body(household={"type": "family", "children": 1, "children_ages": [18]}),
    body(household={"type": "family", "adults": 21}),
    body(situation={"category": "nope"}),
    body(situation={"note": "x"}),
    body(situation={"category": "other", "no_food_today": None}),
    body(consent={"share_with_foodbank": False}),
    body(consent={}),
    body(consent={"share_with_foodbank": True, "method": "verbal"}),
    body(consent={"share_with_foodbank": True, "by_guardian": True}),
    body(consent={"share_with_foodbank": True, "wording_version": ""}),
    body(consent={"share_with_foodbank": True, "given_at": timezone.now().isoformat()}),  # parsed by DRF
    body(consent={"share_with_foodbank": True, "referral": "yes"}),
    body(client_reference="x" * 65),
    body(agency=0),
    body(agency="3"),
    body(agency=2**63),
]
for key in ("recipient", "household", "situation", "consent"):
    missing = body()
    del missing[key]
    NOT_PLAIN.append(missing)


@pytest.mark.parametrize("data", ACCEPTED)
def test_plain_input_equals_delivery_request_in(data):
    data = _dated(data)
    serializer = DeliveryRequestIn(data=data)
    assert serializer.is_valid(), serializer.errors

    assert plain_delivery_request_input(data) == serializer.validated_data


@pytest.mark.parametrize("data", NOT_PLAIN)
def test_plain_input_leaves_everything_else_to_delivery_request_in(data):
    data = _dated(data)
    assert plain_delivery_request_input(data) is None


@pytest.mark.parametrize("data", NOT_PLAIN)
def test_whatever_the_serializer_refuses_the_plain_path_does_not_take(data):
    data = _dated(data)
    # The other way round: no body DeliveryRequestIn refuses is taken by the plain path, so every
    # 400 answer is DeliveryRequestIn's (its fields, messages and codes).
    if not DeliveryRequestIn(data=data).is_valid():
        assert plain_delivery_request_input(data) is None


@pytest.mark.django_db
# (Less a NUL, which the request guard refuses before any view, and a lone surrogate, which the test
# client cannot encode.)
@pytest.mark.parametrize(
    "data",
    [
        d
        for d in NOT_PLAIN
        if not DeliveryRequestIn(data=_dated(d)).is_valid()
        and "\\u0000" not in json.dumps(d)
        and "\\ud800" not in json.dumps(d)
    ],
)
def test_a_refused_body_is_answered_with_the_serializers_errors(api, case_worker_a, data):
    data = _dated(data)
    serializer = DeliveryRequestIn(data=data)
    serializer.is_valid()

    response = api(case_worker_a).post(URL, data, format="json")

    assert response.status_code == 400
    assert response.json() == json.loads(json.dumps(serializer.errors))
