"""Row locks of the inventory domain, in one place.

Every lock is ``SELECT … FOR UPDATE OF <this table>`` evaluated at once (``list()``), and rows of one
table are always locked in primary-key order, so two transactions that need the same rows queue up
instead of deadlocking. Across tables the order is: stock-take / handout / restock shipment →
reservation → balances.
"""

from django.db.models import QuerySet

from .models import Balance, Handout, Reservation, RestockShipment, StockTake


def lock_balances(queryset: QuerySet[Balance]) -> list[Balance]:
    """Lock the balance rows of ``queryset`` in primary-key order and return them."""
    return list(queryset.order_by("pk").select_for_update(of=("self",)))


def lock_restock_shipment(pk: int) -> RestockShipment:
    return (
        RestockShipment.objects.select_for_update(of=("self",))
        .select_related("to_site", "from_site")
        .get(pk=pk)
    )


def lock_reservation(reference: str) -> Reservation | None:
    rows = list(Reservation.objects.select_for_update(of=("self",)).filter(reference=reference))
    return rows[0] if rows else None


def lock_handout(pk: int) -> Handout:
    return Handout.objects.select_for_update(of=("self",)).get(pk=pk)


def lock_stock_take(pk: int) -> StockTake:
    return StockTake.objects.select_for_update(of=("self",)).select_related("site").get(pk=pk)
