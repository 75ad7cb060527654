"""Restocking windows, and the reservation interface the shipping app calls."""

import pytest

from foodbank.exceptions import InvalidTransition
from inventory import selectors, services
from inventory.exceptions import InsufficientStock, ReservationMismatch
from inventory.models import Balance, MovementKind, Reservation, RestockShipment, StockMovement
from inventory.selectors import ledger_differences

from .helpers import in_days, put_stock

pytestmark = pytest.mark.django_db


def on_hand(site, sku) -> dict:
    field = "item" if sku._meta.model_name == "item" else "pack_type"
    return {
        b.best_before: (b.on_hand, b.reserved)
        for b in Balance.objects.filter(site=site, **{field: sku}).order_by("best_before")
    }


def stock_row(site, code):
    return next(row for row in selectors.pack_stock(site) if row.pack_type.code == code)


@pytest.fixture
def warehouse_sets(network, catalogue):
    """Two lots of 3-day sets in the warehouse: 4 expiring in 20 days, 10 in 120 days."""
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=4, best_before=in_days(20))
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=10, best_before=in_days(120))
    put_stock(network.warehouse, pack_type=catalogue.day1, quantity=10)
    return network


def test_restock_from_request_to_receipt(api, warehouse_sets, catalogue, window_staff_a, coordinator):
    net = warehouse_sets
    # Given the window asks for 6 three-day sets
    response = api(window_staff_a).post(
        "/api/v1/restock-shipments/",
        {"site": net.window_a.pk, "lines": [{"pack_type": "day3", "quantity": 6}], "note": "連休前"},
        format="json",
    )
    assert response.status_code == 201
    shipment_id = response.json()["id"]
    assert response.json()["status"] == "requested"
    assert response.json()["origin"] == "window"

    # When the coordinator approves it
    response = api(coordinator).post(f"/api/v1/restock-shipments/{shipment_id}/approve/", {}, format="json")
    assert response.json()["status"] == "approved"
    assert list(selectors.restock_shipments_ready_for_dispatch(net.food_bank.pk)) == [
        RestockShipment.objects.get(pk=shipment_id)
    ]

    # and shipping books it into a batch: warehouse sets are reserved, earliest lot first
    services.mark_restock_booked(shipment_id=shipment_id, dispatch_reference="batch-7")
    assert on_hand(net.warehouse, catalogue.day3) == {in_days(20): (0, 4), in_days(120): (8, 2)}
    assert not selectors.restock_shipments_ready_for_dispatch(net.food_bank.pk).exists()

    # and packs it: the sets leave the warehouse and are in transit to the window
    services.mark_restock_packed(shipment_id=shipment_id)
    assert on_hand(net.warehouse, catalogue.day3) == {in_days(20): (0, 0), in_days(120): (8, 0)}
    assert stock_row(net.window_a, "day3").in_transit == 6
    assert stock_row(net.window_a, "day3").quantity == 0

    # Then the window confirms receipt: the same lots arrive with their best-before dates
    response = api(window_staff_a).post(f"/api/v1/restock-shipments/{shipment_id}/receive/")
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    assert on_hand(net.window_a, catalogue.day3) == {in_days(20): (4, 0), in_days(120): (2, 0)}
    row = stock_row(net.window_a, "day3")
    assert (row.quantity, row.in_transit, row.earliest_best_before) == (6, 0, in_days(20))
    kinds = sorted(StockMovement.objects.filter(restock_id=shipment_id).values_list("kind", "quantity"))
    assert kinds == [("transfer_in", 2), ("transfer_in", 4), ("transfer_out", -4), ("transfer_out", -2)]
    assert ledger_differences() == []

    # and confirming again changes nothing
    assert api(window_staff_a).post(f"/api/v1/restock-shipments/{shipment_id}/receive/").status_code == 200
    assert StockMovement.objects.filter(restock_id=shipment_id).count() == 4


def test_booking_when_the_warehouse_is_short_is_refused_and_leaves_it_approved(warehouse_sets, catalogue):
    net = warehouse_sets
    shipment = services.request_restock(site=net.window_a, lines={catalogue.day3: 20}, requested_by=None)
    services.approve_restock(shipment_id=shipment.pk, approved_by=None)
    before = list(Balance.objects.values_list("pk", "on_hand", "reserved"))

    with pytest.raises(InsufficientStock) as refused:
        services.mark_restock_booked(shipment_id=shipment.pk, dispatch_reference="batch-1")

    assert refused.value.shortages == [{"sku": "day3", "requested": 20, "available": 14}]
    assert list(Balance.objects.values_list("pk", "on_hand", "reserved")) == before
    assert RestockShipment.objects.get().status == "approved"
    assert not Reservation.objects.exists()


def test_unbooking_and_cancelling_give_reserved_sets_back(warehouse_sets, catalogue):
    net = warehouse_sets
    shipment = services.request_restock(site=net.window_a, lines={catalogue.day1: 3}, requested_by=None)
    services.approve_restock(shipment_id=shipment.pk, approved_by=None)
    services.mark_restock_booked(shipment_id=shipment.pk, dispatch_reference="batch-1")
    assert on_hand(net.warehouse, catalogue.day1) == {in_days(90): (7, 3)}

    services.unbook_restock(shipment_id=shipment.pk)
    assert on_hand(net.warehouse, catalogue.day1) == {in_days(90): (10, 0)}
    assert RestockShipment.objects.get().status == "approved"

    # Booked again (into another batch), then cancelled
    services.mark_restock_booked(shipment_id=shipment.pk, dispatch_reference="batch-2")
    assert on_hand(net.warehouse, catalogue.day1) == {in_days(90): (7, 3)}
    services.cancel_restock(shipment_id=shipment.pk)
    assert on_hand(net.warehouse, catalogue.day1) == {in_days(90): (10, 0)}
    assert ledger_differences() == []

    # A cancelled restock cannot be packed
    with pytest.raises(InvalidTransition):
        services.mark_restock_packed(shipment_id=shipment.pk)


def test_a_packed_restock_cannot_be_cancelled(warehouse_sets, catalogue):
    shipment = services.request_restock(
        site=warehouse_sets.window_a, lines={catalogue.day1: 1}, requested_by=None
    )
    services.approve_restock(shipment_id=shipment.pk, approved_by=None)
    services.mark_restock_packed(shipment_id=shipment.pk)  # straight from approved: hand delivery

    with pytest.raises(InvalidTransition):
        services.cancel_restock(shipment_id=shipment.pk)
    assert RestockShipment.objects.get().status == "packed"


def test_approve_can_change_quantities(api, warehouse_sets, catalogue, window_staff_a, coordinator):
    shipment = services.request_restock(
        site=warehouse_sets.window_a,
        lines={catalogue.day1: 5, catalogue.day3: 2},
        requested_by=window_staff_a,
    )

    response = api(coordinator).post(
        f"/api/v1/restock-shipments/{shipment.pk}/approve/",
        {"lines": [{"pack_type": "day1", "quantity": 0}, {"pack_type": "day3", "quantity": 4}]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["lines"] == [{"pack_type": "day3", "quantity": 4}]


def test_restock_permissions(api, warehouse_sets, catalogue, window_staff_a, window_staff_b, coordinator):
    shipment = services.request_restock(
        site=warehouse_sets.window_a, lines={catalogue.day1: 2}, requested_by=None
    )
    url = f"/api/v1/restock-shipments/{shipment.pk}"

    # Window staff cannot approve; another window does not see it at all
    assert api(window_staff_a).post(f"{url}/approve/").status_code == 403
    assert api(window_staff_b).post(f"{url}/approve/").status_code == 404
    assert api(window_staff_b).get(f"{url}/").status_code == 404
    # nor ask for sets for a window that is not theirs
    body = {"site": warehouse_sets.window_a.pk, "lines": [{"pack_type": "day1", "quantity": 1}]}
    assert api(window_staff_b).post("/api/v1/restock-shipments/", body, format="json").status_code == 404
    # Receiving before it was packed is an invalid transition
    response = api(window_staff_a).post(f"{url}/receive/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert RestockShipment.objects.get().status == "requested"


# --- Reservations ---------------------------------------------------------------------------------


def test_reserve_consume_and_release_for_parcels(network, catalogue):
    wh = network.warehouse
    put_stock(wh, pack_type=catalogue.home, quantity=3, best_before=in_days(30))
    put_stock(wh, item=catalogue.diapers, quantity=50, best_before=None)
    needs = [
        services.StockNeed(pack_type=catalogue.home, quantity=1),
        services.StockNeed(item=catalogue.diapers, quantity=20),
    ]

    # Reserving twice under one reference reserves once
    first = services.reserve_stock(site=wh, lines=needs, reference="parcel:1")
    again = services.reserve_stock(site=wh, lines=needs, reference="parcel:1")
    assert first.pk == again.pk
    assert on_hand(wh, catalogue.home) == {in_days(30): (2, 1)}
    assert on_hand(wh, catalogue.diapers) == {None: (30, 20)}
    # Other lines under the same reference are refused
    with pytest.raises(ReservationMismatch):
        services.reserve_stock(site=wh, lines=needs[:1], reference="parcel:1")

    # Packing the parcel takes the reserved stock out, once
    services.consume_reservation(reference="parcel:1")
    services.consume_reservation(reference="parcel:1")
    assert on_hand(wh, catalogue.home) == {in_days(30): (2, 0)}
    assert on_hand(wh, catalogue.diapers) == {None: (30, 0)}
    packing = StockMovement.objects.filter(kind=MovementKind.PARCEL_PACKING, reference="parcel:1")
    assert sorted(packing.values_list("quantity", flat=True)) == [-20, -1]

    # A voided parcel gives its stock back, once; a reference may be reserved again after release
    services.reserve_stock(site=wh, lines=needs[:1], reference="parcel:2")
    services.release_reservation(reference="parcel:2")
    services.release_reservation(reference="parcel:2")
    assert on_hand(wh, catalogue.home) == {in_days(30): (2, 0)}
    services.reserve_stock(site=wh, lines=needs[:1], reference="parcel:2")
    assert on_hand(wh, catalogue.home) == {in_days(30): (1, 1)}
    with pytest.raises(InvalidTransition):
        services.release_reservation(reference="parcel:1")
    assert services.release_reservation(reference="parcel:unknown") is None
    assert ledger_differences() == []


def test_reservation_skips_expired_lots(network, catalogue):
    wh = network.warehouse
    put_stock(wh, pack_type=catalogue.home, quantity=5, best_before=in_days(-1))

    with pytest.raises(InsufficientStock) as refused:
        services.reserve_stock(
            site=wh, lines=[services.StockNeed(pack_type=catalogue.home, quantity=1)], reference="parcel:9"
        )

    assert refused.value.shortages == [{"sku": "home", "requested": 1, "available": 0}]
    assert not Reservation.objects.exists()


# --- reserve_stock_many: the bulk form the dispatch batch uses ----------------------------------


def test_reserve_stock_many_reserves_fefo_in_order_and_reports_the_short_reference(network, catalogue):
    from inventory.models import Balance, Reservation
    from inventory.services import StockNeed, reserve_stock_many

    # given 2 day3 sets expiring soon and 1 later
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=2, best_before=in_days(10))
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=1, best_before=in_days(40))

    # when three references want 1, 2 and 1 sets
    result = reserve_stock_many(
        site=network.warehouse,
        needs={
            "parcel:a": [StockNeed(pack_type=catalogue.day3, quantity=1)],
            "parcel:b": [StockNeed(pack_type=catalogue.day3, quantity=2)],
            "parcel:c": [StockNeed(pack_type=catalogue.day3, quantity=1)],
        },
    )

    # then a and b are reserved first expiry first, c is short and has nothing
    assert set(result.reserved) == {"parcel:a", "parcel:b"}
    assert result.shortages == {"parcel:c": [{"sku": "day3", "requested": 1, "available": 0}]}
    lots = {
        b.best_before: (b.on_hand, b.reserved)
        for b in Balance.objects.filter(site=network.warehouse, pack_type=catalogue.day3)
    }
    assert lots == {in_days(10): (0, 2), in_days(40): (0, 1)}
    assert not Reservation.objects.filter(reference="parcel:c").exists()


def test_reserve_stock_many_twice_changes_nothing_and_matches_reserve_stock(network, catalogue):
    from inventory.models import Balance, ReservationLine
    from inventory.services import StockNeed, reserve_stock, reserve_stock_many

    put_stock(network.warehouse, pack_type=catalogue.day1, quantity=5)
    needs = {"parcel:x": [StockNeed(pack_type=catalogue.day1, quantity=2)]}
    first = reserve_stock_many(site=network.warehouse, needs=needs)
    again = reserve_stock_many(site=network.warehouse, needs=needs)
    single = reserve_stock(site=network.warehouse, lines=needs["parcel:x"], reference="parcel:x")

    assert first.reserved == again.reserved == {"parcel:x": single.pk}
    assert ReservationLine.objects.filter(reservation_id=single.pk).count() == 1
    assert Balance.objects.get(site=network.warehouse, pack_type=catalogue.day1).reserved == 2


def test_reserve_stock_many_with_other_lines_for_a_reference_is_refused(network, catalogue):
    from inventory.exceptions import ReservationMismatch
    from inventory.services import StockNeed, reserve_stock_many

    put_stock(network.warehouse, pack_type=catalogue.day1, quantity=5)
    reserve_stock_many(
        site=network.warehouse, needs={"parcel:x": [StockNeed(pack_type=catalogue.day1, quantity=1)]}
    )
    with pytest.raises(ReservationMismatch):
        reserve_stock_many(
            site=network.warehouse, needs={"parcel:x": [StockNeed(pack_type=catalogue.day1, quantity=3)]}
        )
