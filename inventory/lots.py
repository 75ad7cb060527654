"""Lot identity through the ledger (docs/traceability.md): which lot a donation line, an assembly or
old stock becomes, and the checks that depend on a lot's properties.

Called by ``inventory.services`` inside its transactions (the balance rows are locked already).
"""

from collections.abc import Iterable, Mapping, Sequence

from django.utils import timezone

from .exceptions import LotQuarantined, UnsuitableForWindowSet
from .lot_models import DateLabel, Lot, StorageClass

# Pack types that windows keep at room temperature for days (docs/traceability.md).
WINDOW_SET_CODES = frozenset({"day1", "day3"})


def donation_lots(*, receipt, lines: Sequence) -> dict[int, Lot]:
    """The lot of each accepted donation line (created when missing), by line id. Rejected lines get
    none: they never enter stock."""
    existing = {
        lot.receipt_line_id: lot for lot in Lot.objects.filter(receipt_line__in=[x.pk for x in lines])
    }
    received_on = timezone.localdate(receipt.received_at)
    fresh = [
        Lot(
            food_bank_id=receipt.food_bank_id,
            kind=Lot.Kind.DONATION,
            item_id=line.item_id,
            best_before=line.best_before,
            date_label=line.date_label or DateLabel.BEST_BEFORE,
            storage=line.storage or StorageClass.AMBIENT,
            allergens=list(line.allergens or []),
            donor_id=receipt.donor_id,
            receipt_line=line,
            received_on=received_on,
        )
        for line in lines
        if line.accepted and line.pk not in existing
    ]
    for lot in Lot.objects.bulk_create(fresh):
        existing[lot.receipt_line_id] = lot
    return existing


def pack_lot(*, assembly, plan: Iterable) -> Lot:
    """The lot of the packs one assembly made. Its allergens are the union of the component lots'; it
    is a use-by or cold lot when any component is (the stricter label and storage win)."""
    components = list(Lot.objects.filter(pk__in={row.lot_id for row, _q in plan if row.lot_id}))
    allergens = sorted({code for lot in components for code in lot.allergens})
    storage = StorageClass.AMBIENT
    for strict in (StorageClass.FROZEN, StorageClass.CHILLED):
        if any(lot.storage == strict for lot in components):
            storage = strict
            break
    use_by = any(lot.date_label == DateLabel.USE_BY for lot in components)
    return Lot.objects.create(
        food_bank_id=assembly.food_bank_id,
        kind=Lot.Kind.PACK,
        pack_type_id=assembly.pack_type_id,
        best_before=assembly.best_before,
        date_label=DateLabel.USE_BY if use_by else DateLabel.BEST_BEFORE,
        storage=storage,
        allergens=allergens,
        assembly=assembly,
        received_on=timezone.localdate(assembly.occurred_at),
    )


def window_set_rows(*, pack_type, rows: Sequence, recipe_lines: Sequence, quantity: int) -> Sequence:
    """For a window set (``day1``, ``day3``) the item lots that may go in: not use-by, not chilled or
    frozen. Raises UnsuitableForWindowSet naming each item that only such lots could supply (nothing
    written); other pack types get ``rows`` unchanged."""
    if pack_type.code not in WINDOW_SET_CODES:
        return rows
    lot_ids = {row.lot_id for row in rows if row.lot_id and row.on_hand > 0}
    unsuitable = {
        lot.pk
        for lot in Lot.objects.filter(pk__in=lot_ids).only("pk", "date_label", "storage")
        if lot.unsuitable_for_window_sets
    }
    if not unsuitable:
        return rows
    kept = [row for row in rows if row.lot_id not in unsuitable]
    today = timezone.localdate()
    refused = []
    for line in recipe_lines:
        needed = line.quantity * quantity

        def usable(candidates, item_id=line.item_id):
            return sum(
                r.on_hand
                for r in candidates
                if r.item_id == item_id
                and r.on_hand > 0
                and (r.best_before is None or r.best_before >= today)
            )

        if usable(kept) < needed <= usable(rows):
            refused.append(line.item.name)
    if refused:
        raise UnsuitableForWindowSet(items=refused)
    return kept


def refuse_quarantined(*, lot_ids: Iterable[int | None]) -> None:
    """Raise LotQuarantined when any of these lots is under a recall (reserved stock is not packed)."""
    ids = {pk for pk in lot_ids if pk}
    if not ids:
        return
    quarantined = [lot.code for lot in Lot.objects.filter(pk__in=ids, quarantined_at__isnull=False)]
    if quarantined:
        raise LotQuarantined(lots=sorted(quarantined))


def allergens_of_lots(rows: Iterable) -> dict[int, frozenset[str]]:
    """The allergen codes of the lots of these balance rows (one query)."""
    ids = {row.lot_id for row in rows if row.lot_id}
    return {
        pk: frozenset(codes) for pk, codes in Lot.objects.filter(pk__in=ids).values_list("pk", "allergens")
    }


def without_allergens(
    rows: Sequence, avoid: frozenset[str], lot_allergens: Mapping[int, frozenset[str]]
) -> Sequence:
    """The rows whose lot contains none of ``avoid`` (all of them when there is nothing to avoid).
    Stock without a lot (booked before lots) has unknown allergens and is avoided too."""
    if not avoid:
        return rows
    return [row for row in rows if row.lot_id and not (lot_allergens.get(row.lot_id, frozenset()) & avoid)]
