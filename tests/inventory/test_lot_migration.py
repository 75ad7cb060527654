"""Migration 0005 moves stock booked before lots into "unknown donor" lots without losing a unit:
every balance still equals its ledger (docs/traceability.md)."""

from collections import defaultdict

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inventory import services
from inventory.lot_models import Lot
from inventory.models import Balance, MovementKind, ReservationLine, StockMovement
from inventory.selectors import ledger_differences

from .helpers import in_days, put_stock

BEFORE = [("inventory", "0004_lots_donors_inspection")]
AFTER = [("inventory", "0005_stock_into_unknown_donor_lots")]


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Going back to 0004 also unapplies every later migration of every app; the tests after this
    one (and the Celery workers they start) need the whole schema again, not just 0005."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _totals() -> dict:
    """on_hand and reserved per (site, item, pack type, best-before), whatever the lot."""
    out = defaultdict(lambda: [0, 0])
    for b in Balance.objects.all():
        out[(b.site_id, b.item_id, b.pack_type_id, b.best_before)][0] += b.on_hand
        out[(b.site_id, b.item_id, b.pack_type_id, b.best_before)][1] += b.reserved
    return {k: tuple(v) for k, v in out.items() if v != [0, 0]}


@pytest.mark.django_db(transaction=True)
def test_the_migration_of_existing_stock_keeps_every_balance_equal_to_its_ledger(
    network, catalogue, coordinator
):
    # Given stock booked before lots existed (no lot): items and packs in the warehouse, sets at a
    # window, two of them written off, and sets reserved for a parcel not packed yet
    _migrate(BEFORE)
    put_stock(network.warehouse, item=catalogue.rice, quantity=40)
    put_stock(network.warehouse, item=catalogue.rice, quantity=7, best_before=in_days(20))
    put_stock(network.warehouse, item=catalogue.diapers, quantity=12, best_before=None)
    put_stock(network.warehouse, pack_type=catalogue.home, quantity=9)
    put_stock(network.window_a, pack_type=catalogue.day3, quantity=5)
    # (a write-off, not a handout: today's Handout model has columns that 0004 has not)
    services.record_adjustment(
        site=network.window_a,
        pack_type=catalogue.day3,
        best_before=in_days(90),
        quantity=-2,
        reason="damaged",
        kind=MovementKind.WRITE_OFF,
        recorded_by=coordinator,
    )
    services.reserve_stock(
        site=network.warehouse,
        lines=[services.StockNeed(pack_type=catalogue.home, quantity=3)],
        reference="parcel:P1",
    )
    assert not Lot.objects.exists()
    before = _totals()
    movements_before = StockMovement.objects.count()

    # When the migration runs
    _migrate(AFTER)

    # Then every unit is in an unknown-donor lot, per site, item or pack type and date as before
    assert _totals() == before
    assert ledger_differences() == []
    assert not Balance.objects.filter(lot__isnull=True).exclude(on_hand=0, reserved=0).exists()
    assert set(Lot.objects.values_list("kind", flat=True)) == {Lot.Kind.UNKNOWN}
    assert Lot.objects.count() == 5  # rice ×2 dates, diapers, home, day3
    # by appended movements only (the ledger is append-only): two per balance that held stock
    relabels = StockMovement.objects.filter(kind=MovementKind.LOT_RELABEL)
    assert StockMovement.objects.count() == movements_before + relabels.count() == movements_before + 10
    # and the reserved sets follow: packing them consumes the new lot
    assert ReservationLine.objects.get().lot.kind == Lot.Kind.UNKNOWN
    services.consume_reservation(reference="parcel:P1", recorded_by=coordinator)
    assert ledger_differences() == []
    home = Balance.objects.get(site=network.warehouse, pack_type=catalogue.home, lot__isnull=False)
    assert (home.on_hand, home.reserved) == (6, 0)
