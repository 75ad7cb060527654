"""Corrections: reversing movements (the ledger is append-only), adjustments and write-offs, and the
coordinator's confirmation of a large difference.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import selectors as core_selectors
from foodbank.exceptions import InvalidTransition
from foodbank.models import Site

from ..exceptions import CoordinatorConfirmationRequired, InsufficientStock
from ..models import Balance, Item, MovementKind, PackType, ReasonCode, StockMovement
from .ledger import (
    Key,
    _check_time,
    _ensure_lots,
    _key,
    _movement,
    _same_tenant,
    _shortage,
    _sku_of,
    _update_balances,
)


def _reverse(
    originals: Sequence[StockMovement],
    *,
    rows: Mapping[Key, Balance],
    recorded_by: User | None,
    reason: str,
    **links: Any,
) -> None:
    """Append one ``correction`` per original movement (opposite quantity, same lot) on locked rows."""
    deltas: dict[Key, int] = defaultdict(int)
    for m in originals:
        deltas[_key(m)] -= m.quantity
    shortages = [
        _shortage(_sku_code(rows[key]), -delta, rows[key].on_hand)
        for key, delta in deltas.items()
        if rows[key].on_hand + delta < 0
    ]
    if shortages:
        raise InsufficientStock(shortages=shortages)
    now = timezone.now()
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=m.site,
                key=_key(m),
                quantity=-m.quantity,
                kind=MovementKind.CORRECTION,
                reason=reason,
                occurred_at=now,
                recorded_by=recorded_by,
                reverses=m,
                **links,
            )
            for m in originals
        ]
    )
    _update_balances({rows[key].pk: (delta, 0) for key, delta in deltas.items()})


def _sku_code(row: Balance) -> str:
    sku = row.item if row.item_id else row.pack_type
    if sku is None:  # never: a balance row is of exactly one item or pack type (its check constraint)
        raise ValueError(f"Balance {row.pk} has neither an item nor a pack type.")
    return sku.code


REVERSIBLE = (MovementKind.RECEIPT, MovementKind.ADJUSTMENT, MovementKind.WRITE_OFF)


@transaction.atomic
def reverse_movement(
    *, movement_id: int, recorded_by: User | None, reason: str = ReasonCode.ENTRY_ERROR
) -> StockMovement:
    """Correct one mistaken receipt, adjustment or write-off with a reversing movement.

    Locks the lot first, so that two reversals of one movement queue up and the second sees the
    first. Raises InvalidTransition for other kinds (handouts are voided, transfers and packing
    follow their workflow) and for a movement already reversed; InsufficientStock when the stock it
    added has already gone.
    """
    original = StockMovement.objects.select_related("site", "item", "pack_type").get(pk=movement_id)
    if original.kind not in REVERSIBLE:
        raise InvalidTransition(_("Only receipts, adjustments and write-offs are reversed this way."))
    rows = _ensure_lots(site=original.site, keys=[_key(original)])
    if StockMovement.objects.filter(reverses=original).exists():
        raise InvalidTransition(_("This movement was already reversed."))
    _reverse([original], rows=rows, recorded_by=recorded_by, reason=reason, reference=original.reference)
    return StockMovement.objects.get(reverses=original)


@transaction.atomic
def record_adjustment(
    *,
    site: Site,
    quantity: int,
    reason: str,
    recorded_by: User | None,
    item: Item | None = None,
    pack_type: PackType | None = None,
    best_before: date | None = None,
    lot_id: int | None = None,
    kind: str = MovementKind.ADJUSTMENT,
    note: str = "",
    occurred_at: datetime | None = None,
) -> StockMovement:
    """Correct one lot by ``quantity`` (signed) with a reason code; a write-off takes stock out
    (expired, damaged, recalled). Locks the lot; refuses to take more than is on hand. More than
    INVENTORY_LARGE_DIFFERENCE either way raises CoordinatorConfirmationRequired unless
    ``recorded_by`` is a coordinator of the food bank (others record a stock-take instead)."""
    if (item is None) == (pack_type is None):
        raise ValidationError(_("Name exactly one of item and pack type."))
    if kind not in (MovementKind.ADJUSTMENT, MovementKind.WRITE_OFF):
        raise ValidationError({"kind": _("An adjustment or a write-off.")})
    if reason not in ReasonCode.values:
        raise ValidationError({"reason": _("A reason code is required.")})
    if quantity == 0 or (kind == MovementKind.WRITE_OFF and quantity > 0):
        raise ValidationError({"quantity": _("A write-off is negative; an adjustment is not zero.")})
    _same_tenant(site, item, pack_type)
    _check_large_difference([quantity], by=recorded_by, food_bank_id=site.food_bank_id)
    key: Key = (item.pk if item else None, pack_type.pk if pack_type else None, best_before, lot_id)
    row = _ensure_lots(site=site, keys=[key])[key]
    if row.on_hand + quantity < 0:
        raise InsufficientStock(shortages=[_shortage(_sku_of(item, pack_type).code, -quantity, row.on_hand)])
    movement = _movement(
        site=site,
        key=key,
        quantity=quantity,
        kind=kind,
        reason=reason,
        note=note,
        occurred_at=_check_time(occurred_at, timezone.now()),
        recorded_by=recorded_by,
    )
    movement.save()
    _update_balances({row.pk: (quantity, 0)})
    return movement


def _check_large_difference(differences: Iterable[int], *, by: User | None, food_bank_id: int) -> None:
    """A change above INVENTORY_LARGE_DIFFERENCE (a million sets "found" at a window) counts only
    when a coordinator of the food bank records or confirms it. ``by=None`` is the system itself
    (an opening balance loaded by a script), never a request: every view passes its user."""
    if by is None:
        return
    limit = settings.INVENTORY_LARGE_DIFFERENCE
    if any(
        abs(d) > limit for d in differences
    ) and food_bank_id not in core_selectors.coordinator_food_bank_ids(by):
        raise CoordinatorConfirmationRequired(limit=limit)
