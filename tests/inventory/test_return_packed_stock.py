"""A packed box voided before it left: its sets go back into the lots they came from, once."""

import pytest

from inventory import services
from inventory.models import Balance, Reservation, StockMovement
from inventory.services import StockNeed

from .helpers import in_days, put_stock

pytestmark = pytest.mark.django_db


def test_returning_a_packed_reservation_twice_puts_the_sets_back_once(network, catalogue):
    # given two lots, a reservation of three sets across them (FEFO), packed
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=2, best_before=in_days(10))
    put_stock(network.warehouse, pack_type=catalogue.day3, quantity=5, best_before=in_days(40))
    before = list(Balance.objects.order_by("pk").values_list("best_before", "on_hand", "reserved"))
    services.reserve_stock(
        site=network.warehouse, lines=[StockNeed(pack_type=catalogue.day3, quantity=3)], reference="parcel:X"
    )
    services.consume_reservation(reference="parcel:X")

    # when it is returned (twice: a retried void)
    services.return_packed_stock(reference="parcel:X", recorded_by=None)
    services.return_packed_stock(reference="parcel:X", recorded_by=None)

    # then each lot holds what it held before, with one correction per packing movement
    after = list(Balance.objects.order_by("pk").values_list("best_before", "on_hand", "reserved"))
    assert after == before
    corrections = StockMovement.objects.filter(kind="correction", reference="parcel:X")
    assert sorted(m.quantity for m in corrections) == [1, 2]
    assert Reservation.objects.get(reference="parcel:X").state == "released"
    assert services.return_packed_stock(reference="unknown", recorded_by=None) is None
