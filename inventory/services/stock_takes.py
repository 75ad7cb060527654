"""Stock-takes: a count recorded by one person and confirmed (booked as adjustments) by another."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.exceptions import InvalidTransition
from foodbank.models import Site

from .. import locks
from ..exceptions import InsufficientStock, SameCounter
from ..models import (
    Balance,
    Item,
    MovementKind,
    PackType,
    ReasonCode,
    StockMovement,
    StockTake,
    StockTakeLine,
)
from .corrections import _check_large_difference
from .ledger import (
    _check_time,
    _ensure_lots,
    _key,
    _movement,
    _same_tenant,
    _shortage,
    _sku_q,
    _update_balances,
)


@dataclass(frozen=True)
class CountIn:
    counted: int
    item: Item | None = None
    pack_type: PackType | None = None
    best_before: date | None = None
    reason: str = ""
    lot_id: int | None = None


@transaction.atomic
def record_stock_take(
    *,
    site: Site,
    lines: Sequence[CountIn],
    counted_by: User,
    note: str = "",
    counted_at: datetime | None = None,
) -> StockTake:
    """Record a count. ``expected`` is each lot's ledger quantity now; nothing is booked until another
    person confirms."""
    if not lines:
        raise ValidationError({"lines": _("Count at least one lot.")})
    seen = set()
    for line in lines:
        if (line.item is None) == (line.pack_type is None):
            raise ValidationError({"lines": _("Each line names exactly one of item and pack type.")})
        key = (
            line.item.pk if line.item else None,
            line.pack_type.pk if line.pack_type else None,
            line.best_before,
            line.lot_id,
        )
        if key in seen:
            raise ValidationError({"lines": _("Each lot is counted once.")})
        seen.add(key)
        _same_tenant(site, line.item, line.pack_type)
    current = {
        _key(row): row.on_hand + row.reserved
        for row in Balance.objects.filter(
            _sku_q([x.item.pk for x in lines if x.item], [x.pack_type.pk for x in lines if x.pack_type]),
            site=site,
        )
    }
    take = StockTake.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        note=note,
        counted_at=_check_time(counted_at, timezone.now()),
        counted_by=counted_by,
    )
    StockTakeLine.objects.bulk_create(
        [
            StockTakeLine(
                stock_take=take,
                item=line.item,
                pack_type=line.pack_type,
                best_before=line.best_before,
                lot_id=line.lot_id,
                counted=line.counted,
                expected=current.get(
                    (
                        line.item.pk if line.item else None,
                        line.pack_type.pk if line.pack_type else None,
                        line.best_before,
                        line.lot_id,
                    ),
                    0,
                ),
                reason=line.reason or ReasonCode.COUNT_DIFFERENCE,
            )
            for line in lines
        ]
    )
    return take


@transaction.atomic
def confirm_stock_take(*, stock_take_id: int, confirmed_by: User | None) -> StockTake:
    """Confirm a count made by someone else and book each difference as an ``adjustment`` with the
    line's reason. Locks the stock-take, then the lots (pk order). Raises SameCounter when the
    counter confirms their own count, InvalidTransition unless it awaits confirmation,
    CoordinatorConfirmationRequired when a line differs by more than INVENTORY_LARGE_DIFFERENCE
    and ``confirmed_by`` is not a coordinator of the food bank, and
    InsufficientStock when a counted shortfall exceeds what is still on hand (stock was reserved
    meanwhile)."""
    take = locks.lock_stock_take(stock_take_id)
    if take.status != StockTake.Status.COUNTED:
        raise InvalidTransition()
    if take.counted_by_id == getattr(confirmed_by, "pk", None):
        raise SameCounter()
    lines = [line for line in take.lines.all() if line.difference]
    _check_large_difference(
        (line.difference for line in lines), by=confirmed_by, food_bank_id=take.food_bank_id
    )
    rows = _ensure_lots(site=take.site, keys={_key(line) for line in lines})
    shortages = [
        _shortage(str(line.item_id or line.pack_type_id), -line.difference, rows[_key(line)].on_hand)
        for line in lines
        if rows[_key(line)].on_hand + line.difference < 0
    ]
    if shortages:
        raise InsufficientStock(shortages=shortages)
    now = timezone.now()
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=take.site,
                key=_key(line),
                quantity=line.difference,
                kind=MovementKind.ADJUSTMENT,
                reason=line.reason or ReasonCode.COUNT_DIFFERENCE,
                occurred_at=take.counted_at,
                recorded_by=confirmed_by,
                stock_take=take,
            )
            for line in lines
        ]
    )
    _update_balances({rows[_key(line)].pk: (line.difference, 0) for line in lines})
    take.status = StockTake.Status.CONFIRMED
    take.confirmed_by = confirmed_by
    take.confirmed_at = now
    take.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return take


@transaction.atomic
def cancel_stock_take(*, stock_take_id: int) -> StockTake:
    take = locks.lock_stock_take(stock_take_id)
    if take.status == StockTake.Status.CANCELLED:
        return take
    if take.status != StockTake.Status.COUNTED:
        raise InvalidTransition()
    take.status = StockTake.Status.CANCELLED
    take.save(update_fields=["status"])
    return take
