"""POST /api/v1/handouts/ and its reads (docs/spec.md §4.1): stock, refusals, idempotency, scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from foodbank.models import IdempotencyKey
from inventory.models import Balance, Handout, HandoutLine, MovementKind, StockMovement
from inventory.selectors import ledger_differences

from .helpers import HANDOUT_3_PLUS_1, in_days, put_stock

pytestmark = [pytest.mark.django_db, pytest.mark.binding]

URL = "/api/v1/handouts/"


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body, format="json", **headers)


def stock_of(client, site) -> dict[str, int]:
    response = client.get(f"/api/v1/sites/{site.pk}/stock/")
    assert response.status_code == 200
    return {row["pack_type"]: row["quantity"] for row in response.json()}


@pytest.fixture
def stocked(network, catalogue):
    """Window A holds 5 three-day sets and 4 one-day sets."""
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=4)
    return network


def _writes() -> tuple[int, int, int, list]:
    return (
        Handout.objects.count(),
        HandoutLine.objects.count(),
        StockMovement.objects.count(),
        sorted(Balance.objects.values_list("pk", "on_hand", "reserved")),
    )


def test_three_plus_one_days_is_recorded_and_stock_goes_down(api, stocked, window_staff_a):
    client = api(window_staff_a)

    # When window staff hand out a 3-day and a 1-day set
    response = post(client, {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1})

    # Then the handout is recorded as asked
    assert response.status_code == 201
    body = response.json()
    handout = Handout.objects.get()
    assert body["id"] == handout.pk
    assert body["site"] == stocked.window_a.pk
    assert body["lines"] == [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 1}]
    assert body["sets"] == 2
    assert body["household"] == {"size": 2, "type": "single_parent"}
    assert body["referral_consent"] is True
    assert body["note"] == "ガス停止中"
    assert body["voided_at"] is None
    assert handout.referral_consent is True
    assert handout.recorded_by == window_staff_a
    # and one set of each left the window's stock, through the ledger
    assert stock_of(client, stocked.window_a) == {"day1": 3, "day3": 4, "home": 0}
    movements = StockMovement.objects.filter(kind=MovementKind.HANDOUT).order_by("pack_type__code")
    assert [(m.pack_type.code, m.quantity, m.handout_id) for m in movements] == [
        ("day1", -1, handout.pk),
        ("day3", -1, handout.pk),
    ]
    assert ledger_differences() == []


def test_first_expiry_first_out_and_expired_sets_are_not_handed_out(api, network, catalogue, window_staff_a):
    # Given three lots of 3-day sets: expired yesterday (3), best-before in 10 days (1), in 60 days (5)
    site = network.window_a
    put_stock(site, pack_type=catalogue.day3, quantity=3, best_before=in_days(-1))
    put_stock(site, pack_type=catalogue.day3, quantity=1, best_before=in_days(10))
    put_stock(site, pack_type=catalogue.day3, quantity=5, best_before=in_days(60))
    client = api(window_staff_a)

    # When two 3-day sets are handed out
    body = {
        "site": site.pk,
        "lines": [{"pack_type": "day3", "quantity": 2}],
        "household": {"size": 1, "type": "single"},
    }
    assert post(client, body).status_code == 201

    # Then the 10-day lot went first, then the 60-day one; the expired lot is untouched
    lots = dict(Balance.objects.filter(site=site).values_list("best_before", "on_hand"))
    assert lots == {in_days(-1): 3, in_days(10): 0, in_days(60): 4}
    day3 = next(
        row for row in client.get(f"/api/v1/sites/{site.pk}/stock/").json() if row["pack_type"] == "day3"
    )
    assert day3 == {
        "pack_type": "day3",
        "name": "3日分セット",
        "days": 3,
        "quantity": 4,
        "earliest_best_before": in_days(60).isoformat(),
        "reserved": 0,
        "in_transit": 0,
        "expired": 3,
        "par": None,
    }


def test_short_stock_is_409_and_nothing_is_written(api, network, catalogue, window_staff_a):
    # Given one 3-day set and no 1-day set
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=1)
    before = _writes()

    # When 3+1 days are asked for
    response = post(api(window_staff_a), {"site": network.window_a.pk, **HANDOUT_3_PLUS_1}, key="k-short")

    # Then it is refused with the shortage, and nothing changed (not even the 3-day set)
    assert response.status_code == 409
    assert response.json() == {
        "code": "insufficient_stock",
        "detail": "在庫が足りないため、記録していません。",
        "shortages": [{"sku": "day1", "requested": 1, "available": 0}],
    }
    assert _writes() == before
    # and the key is free again for a corrected retry
    assert not IdempotencyKey.objects.exists()


def test_same_key_same_body_replays_the_first_answer(api, stocked, window_staff_a):
    client = api(window_staff_a)
    body = {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1}

    first = post(client, body, key="tap-1")
    second = post(client, body, key="tap-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Handout.objects.count() == 1
    assert stock_of(client, stocked.window_a) == {"day1": 3, "day3": 4, "home": 0}


def test_same_key_other_body_is_422_and_changes_nothing(api, stocked, window_staff_a):
    client = api(window_staff_a)
    post(client, {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1}, key="tap-1")
    before = _writes()

    response = post(
        client, {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1, "note": "別の内容"}, key="tap-1"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert _writes() == before


def test_staff_of_another_window_get_404_and_nothing_is_written(api, stocked, window_staff_b):
    before = _writes()

    response = post(api(window_staff_b), {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1})

    assert response.status_code == 404
    assert _writes() == before


def test_a_window_of_another_food_bank_is_404(api, stocked, window_staff_a):
    response = post(api(window_staff_a), {"site": stocked.other_window.pk, **HANDOUT_3_PLUS_1})

    assert response.status_code == 404


@pytest.mark.parametrize("actor", ["coordinator", "case_worker_a", "volunteer", "integration"])
def test_only_window_staff_hand_out(actor, request, api, stocked):
    user = request.getfixturevalue(actor)
    before = _writes()

    response = post(api(user), {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1})

    assert response.status_code == 403
    assert _writes() == before


def test_bad_input_is_400_with_a_message_per_field(api, stocked, window_staff_a):
    before = _writes()

    response = post(
        api(window_staff_a),
        {
            "site": "window-a",
            "lines": [{"pack_type": "day3", "quantity": 0}, {"quantity": 1}],
            "household": {"size": 0, "type": "alone"},
            "referral_consent": "perhaps",
        },
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"site", "lines", "household", "referral_consent"}
    assert errors["lines"]["0"].keys() == {"quantity"}
    assert errors["lines"]["1"].keys() == {"pack_type"}
    assert errors["household"].keys() == {"size", "type"}
    assert _writes() == before


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], {"lines": {"non_field_errors": ["リストは空ではいけません。"]}}),
        (
            [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day3", "quantity": 1}],
            {"lines": ["同じセットの種類は1回だけ指定してください。"]},
        ),
        (
            [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day9", "quantity": 1}],
            {"lines": {"1": {"pack_type": ["不明なセットの種類です。"]}}},
        ),
    ],
)
def test_lines_are_checked(lines, expected, api, stocked, window_staff_a):
    before = _writes()
    body = {"site": stocked.window_a.pk, "lines": lines, "household": {"size": 1, "type": "single"}}

    response = post(api(window_staff_a), body)

    assert response.status_code == 400
    assert response.json() == expected
    assert _writes() == before


def test_a_handout_logged_late_keeps_when_it_happened(api, stocked, window_staff_a):
    happened = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    body = {**HANDOUT_3_PLUS_1, "site": stocked.window_a.pk, "occurred_at": happened.isoformat()}

    response = post(api(window_staff_a), body)

    assert response.status_code == 201
    handout = Handout.objects.get()
    assert handout.occurred_at == happened
    assert handout.recorded_at > happened + timedelta(hours=2)
    assert set(handout.movements.values_list("occurred_at", flat=True)) == {happened}


def test_a_handout_in_the_future_is_400(api, stocked, window_staff_a):
    body = {
        **HANDOUT_3_PLUS_1,
        "site": stocked.window_a.pk,
        "occurred_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }

    response = post(api(window_staff_a), body)

    assert response.status_code == 400
    assert set(response.json()) == {"occurred_at"}
    assert not Handout.objects.exists()


@pytest.mark.postgres  # the production path: on SQLite the service writes through the ORM (more statements)
def test_handout_endpoint_query_count(api, stocked, window_staff_a, django_assert_num_queries):
    client = api(window_staff_a)
    body = {"site": stocked.window_a.pk, **HANDOUT_3_PLUS_1}
    # A new token records its first use (later uses within the resolution window write nothing).
    assert client.get("/api/v1/me/").status_code == 200

    # 1 token with its user and the user's memberships (one join; the memberships are kept for the
    # request and the window comes from them), 1 SAVEPOINT (the service's transaction, nested in
    # the test's), 1 statement for all the rest (inventory.services.handouts._hand_out_sql: the
    # pack types, the handout and its lines, the window's balance rows locked in primary-key
    # order, FEFO over them, both movements and the UPDATE of both balances), 1 RELEASE
    # SAVEPOINT. Two lines or twenty, the same four. In production the statement goes with the
    # COMMIT (tests/foodbank/test_transactions.py): the token, BEGIN, the statement with COMMIT.
    with django_assert_num_queries(4):
        assert post(client, body).status_code == 201

    # With an Idempotency-Key, the key's claim adds one INSERT (… ON CONFLICT DO NOTHING, taking
    # the key's advisory lock in the same statement: no savepoint needed), the claim and the work
    # run in a transaction of idempotent_create's (SAVEPOINT … RELEASE) that the service joins (its
    # own SAVEPOINT … RELEASE goes: foodbank.transactions), and the handout's statement completes
    # the key (foodbank.idempotency.completion_sql): 4 + 1 = 5. In production, outside the test's
    # transaction: the token, BEGIN, the claim, the handout's statement with COMMIT: 4 round
    # trips, one commit for claim and work. The answer is rendered from the rows just written:
    # nothing is read back.
    with django_assert_num_queries(5):
        assert post(client, body, key="counted").status_code == 201
    # A replay writes nothing: token with memberships, the claim's INSERT that does nothing (the
    # key exists) and reading the first claim, in their transaction (SAVEPOINT … RELEASE here),
    # and the handout with its lines and their pack types (2). Replays are rare; new keys are the
    # path kept short.
    with django_assert_num_queries(7):
        assert post(client, body, key="counted").status_code == 201


# --- Reads ----------------------------------------------------------------------------------------


@pytest.fixture
def two_handouts(api, network, catalogue, window_staff_a, window_staff_b):
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=3)
    put_stock(network.window_b, pack_type=catalogue.day3, quantity=3)
    one_day = {"lines": [{"pack_type": "day1", "quantity": 1}], "household": {"size": 1, "type": "single"}}
    three_days = {"lines": [{"pack_type": "day3", "quantity": 1}], "household": {"size": 4, "type": "family"}}
    a = post(api(window_staff_a), {"site": network.window_a.pk, **one_day}).json()["id"]
    b = post(api(window_staff_b), {"site": network.window_b.pk, **three_days}).json()["id"]
    return a, b


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return sorted(row["id"] for row in response.json()["results"])


def test_window_staff_see_their_own_window_only(api, network, two_handouts, window_staff_a):
    a, b = two_handouts
    client = api(window_staff_a)

    assert _ids(client.get(URL)) == [a]
    assert _ids(client.get(URL, {"site": network.window_a.pk})) == [a]
    assert client.get(URL, {"site": network.window_b.pk}).status_code == 404
    assert client.get(f"{URL}{b}/").status_code == 404
    assert client.get(f"{URL}{a}/").json()["lines"] == [{"pack_type": "day1", "quantity": 1}]


def test_coordinator_sees_every_window_of_their_food_bank(api, network, two_handouts, coordinator):
    a, b = two_handouts
    client = api(coordinator)

    assert _ids(client.get(URL)) == [a, b]
    assert _ids(client.get(URL, {"site": network.window_b.pk})) == [b]
    assert client.get(URL)["Content-Type"] == "application/json"
    assert client.get(URL).json()["count"] == 2


def test_another_food_bank_sees_none(api, network, two_handouts, other_coordinator, case_worker_a):
    a, _b = two_handouts

    assert _ids(api(other_coordinator).get(URL)) == []
    assert api(other_coordinator).get(URL, {"site": network.window_a.pk}).status_code == 404
    assert api(other_coordinator).get(f"{URL}{a}/").status_code == 404
    assert _ids(api(case_worker_a).get(URL)) == []


def test_void_puts_the_sets_back_with_reversing_movements(api, network, two_handouts, window_staff_a):
    a, _b = two_handouts
    client = api(window_staff_a)

    response = client.post(f"{URL}{a}/void/")
    again = client.post(f"{URL}{a}/void/")

    assert response.status_code == again.status_code == 200
    assert response.json()["voided_at"] is not None
    assert stock_of(client, network.window_a)["day1"] == 3
    corrections = StockMovement.objects.filter(kind=MovementKind.CORRECTION)
    assert [(m.quantity, m.reverses.kind, m.handout_id) for m in corrections] == [(1, "handout", a)]
    assert ledger_differences() == []


# --- The plain input path (inventory.serializers.plain_handout_input) -----------------------------

_LINES = [{"pack_type": "day3", "quantity": 1}, {"pack_type": "day1", "quantity": 2}]


@pytest.mark.parametrize(
    "body",
    [
        {"site": 7, "lines": _LINES},
        {"site": 7, "lines": _LINES[:1], "household": {"size": 3, "type": "family"}, "note": "  ok  "},
        {"site": 7, "lines": _LINES, "household": {}, "referral_consent": True, "note": ""},
        {"site": 7, "lines": _LINES, "household": {"size": None}, "referral_consent": False},
        {"site": 7, "lines": _LINES, "condition_checked": False},
        {
            "site": 2**63 - 1,
            "lines": [{"pack_type": "a-b_9", "quantity": 50}],
            "household": {"type": "single"},
        },
    ],
)
def test_plain_input_equals_handout_in(body):
    from inventory.serializers import HandoutIn, plain_handout_input

    serializer = HandoutIn(data=body)
    assert serializer.is_valid(), serializer.errors
    assert plain_handout_input(body) == serializer.validated_data


@pytest.mark.parametrize(
    "body",
    [
        {"site": 7, "lines": _LINES, "occurred_at": "2026-01-01T00:00:00+09:00"},  # late entry: HandoutIn
        {"site": "7", "lines": _LINES},  # coerced by HandoutIn, not here
        {"site": True, "lines": _LINES},
        {"site": 0, "lines": _LINES},
        {"site": 2**63, "lines": _LINES},
        {"site": 7, "lines": []},
        {"site": 7, "lines": _LINES * 6},
        {"site": 7, "lines": [{"pack_type": "day1", "quantity": 1}, {"pack_type": "day1", "quantity": 2}]},
        {"site": 7, "lines": [{"pack_type": "day 1", "quantity": 1}]},
        {"site": 7, "lines": [{"pack_type": "d" * 33, "quantity": 1}]},
        {"site": 7, "lines": [{"pack_type": "day1", "quantity": 51}]},
        {"site": 7, "lines": [{"pack_type": "day1", "quantity": 1.0}]},
        {"site": 7, "lines": [{"pack_type": "day1", "quantity": 1, "extra": 1}]},
        {"site": 7, "lines": _LINES, "household": {"size": 31}},
        {"site": 7, "lines": _LINES, "household": {"type": "crowd"}},
        {"site": 7, "lines": _LINES, "household": None},
        {"site": 7, "lines": _LINES, "referral_consent": "true"},
        {"site": 7, "lines": _LINES, "condition_checked": "no"},
        {"site": 7, "lines": _LINES, "note": None},
        {"site": 7, "lines": _LINES, "note": "x" * 1001},
        {"site": 7, "lines": _LINES, "note": "a\ud800b"},
        {"site": 7, "lines": _LINES, "surprise": 1},
        ["not", "an", "object"],
    ],
)
def test_plain_input_leaves_everything_else_to_handout_in(body):
    from inventory.serializers import plain_handout_input

    assert plain_handout_input(body) is None


def test_the_one_statement_handout_insert_writes_every_column_of_the_model():
    # The hot path writes handouts with its own SQL (inventory.services.handouts._hand_out_sql): a
    # column added to Handout and left out there would be silently stored as its default.
    import re

    from inventory.models import Handout
    from inventory.services.handouts import _hand_out_sql

    table = Handout._meta.db_table
    written = re.search(rf'INSERT INTO "?{table}"? \(([^)]*)\)', _hand_out_sql()).group(1)
    columns = {f.column for f in Handout._meta.concrete_fields if not f.primary_key}
    # A new handout is not voided: those two stay empty on purpose.
    assert columns - {c.strip() for c in written.split(",")} == {"voided_at", "voided_by_id"}


@pytest.mark.django_db
def test_a_handout_without_lines_is_refused_and_writes_nothing(network, window_staff_a):
    # The API and the form refuse it before; the service refuses it too, for any other caller
    from django.core.exceptions import ValidationError

    from inventory import services

    with pytest.raises(ValidationError) as refused:
        services.record_handout(
            site=network.window_a,
            lines={},
            household_size=1,
            household_type="single",
            recorded_by=window_staff_a,
        )

    assert "lines" in refused.value.message_dict
    assert (Handout.objects.count(), HandoutLine.objects.count(), StockMovement.objects.count()) == (0, 0, 0)
