"""Row locks of the inventory domain, in one place.

Every lock is ``SELECT … FOR UPDATE OF <this table>`` (a pack type: ``FOR NO KEY UPDATE``) evaluated
at once (``list()``), or (a handout's
one statement, ``window_balances_sql``) a query of that statement that the rest reads first, and rows
of one table are always locked in primary-key order, so two transactions that need the same rows queue up
instead of deadlocking. Across tables the order is: par levels → restock shipments; stock-take /
handout / restock shipment / donation receipt → reservation → balances. A pack type is locked alone
(its recipe versions).
"""

import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from .models import (
    Balance,
    DonationReceipt,
    Handout,
    PackType,
    ParLevel,
    Reservation,
    RestockShipment,
    StockTake,
)


def lock_balances(queryset: QuerySet[Balance]) -> list[Balance]:
    """Lock the balance rows of ``queryset`` in primary-key order and return them."""
    return list(queryset.order_by("pk").select_for_update(of=("self",)))


@functools.cache
def window_balances_sql(pack_types: str) -> str:
    """``lock_balances`` of a window's rows of some pack types, as SQL for the statement that
    records a handout (``inventory.services.handouts``, docs/benchmarks.md): the rows of the site
    ``%(site)s`` whose pack type is an ``id`` of ``pack_types`` (a query's name in that statement),
    read and locked in primary-key order."""
    balance = connection.ops.quote_name(Balance._meta.db_table)
    return (
        f"SELECT id, item_id, pack_type_id, best_before, lot_id, on_hand FROM {balance} "  # noqa: S608
        f"WHERE site_id = %(site)s AND pack_type_id IN (SELECT id FROM {pack_types}) ORDER BY id FOR UPDATE"
    )


def lock_restock_shipment(pk: int) -> RestockShipment:
    return (
        RestockShipment.objects.select_for_update(of=("self",))
        .select_related("to_site", "from_site")
        .get(pk=pk)
    )


def lock_reservation(reference: str) -> Reservation | None:
    rows = list(
        Reservation.objects.select_for_update(of=("self",)).filter(reference=reference).order_by("pk")
    )
    return rows[0] if rows else None


def lock_handout(pk: int) -> Handout:
    return Handout.objects.select_for_update(of=("self",)).get(pk=pk)


def lock_stock_take(pk: int) -> StockTake:
    return StockTake.objects.select_for_update(of=("self",)).select_related("site").get(pk=pk)


def lock_reservations(references: Iterable[str]) -> list[Reservation]:
    """Lock the reservations of ``references`` in primary-key order; missing ones are left out."""
    return list(
        Reservation.objects.select_for_update(of=("self",))
        .filter(reference__in=list(references))
        .order_by("pk")
    )


def lock_receipt(pk: int) -> DonationReceipt:
    return DonationReceipt.objects.select_for_update(of=("self",)).select_related("site").get(pk=pk)


def lock_pack_type(pk: int) -> PackType | None:
    """Lock one pack type (``None`` if there is none): its recipe versions are numbered under it.
    ``FOR NO KEY UPDATE``: a handout's lines (foreign keys to the pack type, checked while the
    handout holds the window's balance rows) need not wait for a change of recipe."""
    return PackType.objects.select_for_update(no_key=True, of=("self",)).filter(pk=pk).order_by("pk").first()


def lock_par_levels(queryset: QuerySet[ParLevel]) -> list[ParLevel]:
    """Lock the par levels of ``queryset`` in primary-key order and return them."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def lock_proposed_restocks(food_bank_id: int) -> list[RestockShipment]:
    """Lock the food bank's proposed restock shipments in primary-key order."""
    return list(
        RestockShipment.objects.select_for_update(of=("self",))
        .filter(food_bank_id=food_bank_id, status=RestockShipment.Status.PROPOSED)
        .order_by("pk")
    )
