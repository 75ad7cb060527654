"""A large stock difference needs a coordinator (issue #21, item 9): window staff cannot "find" a
million sets, by an adjustment or by two of them confirming each other's stock-take."""

import pytest

from inventory.models import Balance, StockMovement, StockTake
from tests.helpers import make_actor

from .helpers import in_days, put_stock

pytestmark = pytest.mark.django_db


def _ledger():
    return (
        list(Balance.objects.order_by("pk").values_list("on_hand", "reserved")),
        StockMovement.objects.count(),
    )


def test_window_staff_cannot_find_a_million_sets_by_an_adjustment(
    api, network, catalogue, window_staff_a, settings
):
    # given window A holds 5 sets
    settings.INVENTORY_LARGE_DIFFERENCE = 100
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5, best_before=in_days(30))
    before = _ledger()
    body = {
        "site": network.window_a.pk,
        "pack_type": "day1",
        "best_before": in_days(30).isoformat(),
        "quantity": 1_000_000,
        "reason": "found",
    }

    # when its staff record a million more "found"
    response = api(window_staff_a).post("/api/v1/stock-adjustments/", body, format="json")

    # then it is refused, with the limit, and nothing is written
    assert response.status_code == 403
    assert response.json()["code"] == "coordinator_confirmation_required"
    assert response.json()["limit"] == 100
    assert _ledger() == before
    # a difference within the limit is still theirs to record
    small = api(window_staff_a).post("/api/v1/stock-adjustments/", {**body, "quantity": 100}, format="json")
    assert small.status_code == 201


def test_a_coordinator_may_record_a_large_adjustment(api, network, catalogue, coordinator):
    body = {"site": network.warehouse.pk, "pack_type": "day1", "quantity": 5000, "reason": "found"}

    response = api(coordinator).post("/api/v1/stock-adjustments/", body, format="json")

    assert response.status_code == 201
    assert Balance.objects.get(site=network.warehouse).on_hand == 5000


def test_a_large_stock_take_difference_needs_the_coordinators_confirmation(
    api, network, catalogue, window_staff_a, coordinator
):
    # given two staff of window A, one counting a million sets where the ledger has 5
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5, best_before=in_days(30))
    colleague = make_actor("window_a2", "window_staff", network.agency_a, network.window_a)
    body = {
        "site": network.window_a.pk,
        "lines": [{"pack_type": "day1", "best_before": in_days(30).isoformat(), "counted": 1_000_000}],
    }
    counted = api(window_staff_a).post("/api/v1/stock-takes/", body, format="json")
    assert counted.status_code == 201
    before = _ledger()

    # when the colleague confirms it
    refused = api(colleague).post(f"/api/v1/stock-takes/{counted.json()['id']}/confirm/")

    # then it is refused and nothing is booked; the count still waits for a coordinator
    assert refused.status_code == 403
    assert refused.json()["code"] == "coordinator_confirmation_required"
    assert _ledger() == before
    assert StockTake.objects.get().status == "counted"

    # when the coordinator confirms it, the difference is booked
    confirmed = api(coordinator).post(f"/api/v1/stock-takes/{counted.json()['id']}/confirm/")
    assert confirmed.status_code == 200
    assert Balance.objects.get(site=network.window_a).on_hand == 1_000_000


def test_a_small_stock_take_difference_is_confirmed_by_a_colleague(api, network, catalogue, window_staff_a):
    put_stock(network.window_a, pack_type=catalogue.day1, quantity=5, best_before=in_days(30))
    colleague = make_actor("window_a2", "window_staff", network.agency_a, network.window_a)
    body = {
        "site": network.window_a.pk,
        "lines": [{"pack_type": "day1", "best_before": in_days(30).isoformat(), "counted": 3}],
    }
    counted = api(window_staff_a).post("/api/v1/stock-takes/", body, format="json")

    confirmed = api(colleague).post(f"/api/v1/stock-takes/{counted.json()['id']}/confirm/")

    assert confirmed.status_code == 200
    assert Balance.objects.get(site=network.window_a).on_hand == 3
