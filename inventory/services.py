"""Writes of the inventory domain. Every change of stock goes through here.

Rules (see docs/inventory.md):

- Each function owns its transaction. Stock rows (``Balance``) are locked with
  ``SELECT … FOR UPDATE`` in primary-key order (``inventory.locks``), every line is checked before
  anything is written, and the movements and the balance updates are written together.
- The ledger is append-only: corrections are reversing movements (``void_handout``,
  ``reverse_movement``).
- First expiry first out: stock is taken from the lot with the earliest best-before date; expired
  lots are never handed out, packed or assembled (they wait for a write-off).

The shipping app calls ``reserve_stock``, ``consume_reservation``, ``release_reservation``,
``mark_restock_booked``, ``unbook_restock``, ``mark_restock_packed`` and reads
``inventory.selectors.restock_shipments_ready_for_dispatch``; the window confirms with
``confirm_restock_receipt``.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import selectors as core_selectors
from foodbank.bulk import insert_many
from foodbank.exceptions import InvalidTransition
from foodbank.models import Organisation, Site
from foodbank.transactions import service_transaction

from . import locks
from .exceptions import (
    CoordinatorConfirmationRequired,
    InsufficientStock,
    ReservationMismatch,
    SameCounter,
    UnknownPackType,
)
from .lots import (
    allergens_of_lots,
    donation_lots,
    pack_lot,
    refuse_quarantined,
    window_set_rows,
    without_allergens,
)
from .models import (
    Assembly,
    Balance,
    DonationReceipt,
    DonationReceiptLine,
    ExpiryReport,
    Handout,
    HandoutHouseholdType,
    HandoutLine,
    Item,
    MovementKind,
    PackRecipe,
    PackRecipeLine,
    PackType,
    ParLevel,
    ReasonCode,
    Reservation,
    ReservationLine,
    RestockLine,
    RestockShipment,
    StockMovement,
    StockTake,
    StockTakeLine,
)

logger = logging.getLogger(__name__)

# A lot of one stock-keeping unit at a site: (item id, pack type id, best-before date, lot id).
# The lot id is None for stock booked before lots existed (docs/traceability.md).
Key = tuple[int | None, int | None, date | None, int | None]


@dataclass(frozen=True)
class StockNeed:
    """A quantity of one item or one pack type, e.g. ``StockNeed(pack_type=home, quantity=1)``."""

    quantity: int
    item: Item | None = None
    pack_type: PackType | None = None
    # Allergen codes the stock must not contain (a household's allergies): lots with them are
    # skipped when another lot can serve (docs/traceability.md, allergen-aware packing).
    avoid: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if (self.item is None) == (self.pack_type is None):
            raise ValueError("A StockNeed names exactly one of item and pack_type.")
        if self.quantity < 1:
            raise ValueError("A StockNeed's quantity must be at least 1.")

    @property
    def sku(self) -> tuple[int | None, int | None]:
        return (self.item.pk if self.item else None, self.pack_type.pk if self.pack_type else None)

    @property
    def label(self) -> str:
        return self.pack_type.code if self.pack_type else self.item.code


# --- Ledger primitives ----------------------------------------------------------------------------


def _key(row) -> Key:
    return (row.item_id, row.pack_type_id, row.best_before, row.lot_id)


def _lot_q(key: Key) -> Q:
    item_id, pack_type_id, best_before, lot_id = key
    q = Q(item_id=item_id) if item_id else Q(pack_type_id=pack_type_id)
    q &= Q(lot_id=lot_id) if lot_id else Q(lot__isnull=True)
    return q & (Q(best_before=best_before) if best_before else Q(best_before__isnull=True))


def _sku_q(item_ids: Iterable[int] = (), pack_type_ids: Iterable[int] = ()) -> Q:
    item_ids, pack_type_ids = list(item_ids), list(pack_type_ids)
    q = Q(pk__in=[])
    if item_ids:
        q |= Q(item_id__in=item_ids)
    if pack_type_ids:
        q |= Q(pack_type_id__in=pack_type_ids)
    return q


def _lock_skus(
    *, site_id: int, item_ids: Iterable[int] = (), pack_type_ids: Iterable[int] = ()
) -> list[Balance]:
    """Lock every lot of these items and pack types at the site (primary-key order)."""
    return locks.lock_balances(Balance.objects.filter(_sku_q(item_ids, pack_type_ids), site_id=site_id))


def _ensure_lots(*, site: Site, keys: Iterable[Key]) -> dict[Key, Balance]:
    """Create the balance rows of ``keys`` that do not exist yet, then lock them all in one ordered
    ``SELECT … FOR UPDATE``. A row another transaction created meanwhile is kept (the insert ignores
    conflicts on the lot's unique constraint)."""
    keys = set(keys)
    Balance.objects.bulk_create(
        [
            Balance(
                food_bank_id=site.food_bank_id,
                site=site,
                item_id=i,
                pack_type_id=p,
                best_before=b,
                lot_id=lot,
            )
            for i, p, b, lot in keys
        ],
        ignore_conflicts=True,
    )
    condition = Q(pk__in=[])
    for key in keys:
        condition |= _lot_q(key)
    rows = locks.lock_balances(Balance.objects.filter(condition, site=site))
    return {_key(row): row for row in rows}


def _usable(row: Balance, today: date) -> bool:
    return row.on_hand > 0 and (row.best_before is None or row.best_before >= today)


def _fefo(rows: Iterable[Balance]) -> list[Balance]:
    """First expiry first out; lots without a best-before date last."""
    return sorted(rows, key=lambda r: (r.best_before is None, r.best_before or date.max, r.pk))


def _allocate(
    rows: Iterable[Balance], quantity: int, *, today: date
) -> tuple[list[tuple[Balance, int]], int]:
    """Take ``quantity`` from the usable lots, FEFO. Returns the allocations and what is available;
    the allocation is short when available < quantity."""
    allocations, left, available = [], quantity, 0
    for row in _fefo(r for r in rows if _usable(r, today)):
        available += row.on_hand
        if left:
            take = min(left, row.on_hand)
            allocations.append((row, take))
            left -= take
    return allocations, available


def _update_balances(deltas: Mapping[int, tuple[int, int]]) -> None:
    """Apply (on_hand, reserved) deltas to locked balance rows in one relative UPDATE
    (``SET on_hand = on_hand + CASE id WHEN … END``, what ``F()`` expressions would write; the check
    constraints are the backstop against a negative balance).

    Written as SQL rather than ``Case(When(…))`` because this runs in every handout, and building
    those expressions cost more CPU than the rest of the statement (see bench/handout_bench.py).
    """
    deltas = {int(pk): (int(on_hand), int(reserved)) for pk, (on_hand, reserved) in deltas.items()}
    deltas = {pk: d for pk, d in deltas.items() if d != (0, 0)}
    if not deltas:
        return
    assignments, params = [], []
    for index, column in enumerate(("on_hand", "reserved")):
        changed = [(pk, d[index]) for pk, d in deltas.items() if d[index]]
        if changed:
            whens = " ".join("WHEN %s THEN %s" for _ in changed)
            assignments.append(f"{column} = {column} + CASE id {whens} ELSE 0 END")
            params.extend(value for pair in changed for value in pair)
    ids = ", ".join("%s" for _ in deltas)
    params.extend(deltas)
    table = connection.ops.quote_name(Balance._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE id IN ({ids})", params)  # noqa: S608
    if any(on_hand > 0 for on_hand, _reserved in deltas.values()):
        # Stock that comes back into a recalled lot (a voided handout, a restock arriving) is
        # quarantined at once; a handout or a reservation only takes stock out, so pays nothing here.
        from .recall import quarantine_returned_stock

        quarantine_returned_stock(balance_ids=[pk for pk, (on_hand, _r) in deltas.items() if on_hand > 0])


def _movement(*, site: Site, key: Key, quantity: int, kind: str, occurred_at: datetime, recorded_by, **extra):
    item_id, pack_type_id, best_before, lot_id = key
    return StockMovement(
        food_bank_id=site.food_bank_id,
        site=site,
        item_id=item_id,
        pack_type_id=pack_type_id,
        best_before=best_before,
        lot_id=lot_id,
        quantity=quantity,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
        **extra,
    )


def _shortage(label: str, requested: int, available: int) -> dict:
    return {"sku": label, "requested": requested, "available": available}


def _check_time(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    if occurred_at > now + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("Cannot be in the future.")})
    return occurred_at


def _same_tenant(site: Site, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.food_bank_id != site.food_bank_id:
            raise ValidationError(_("%(name)s belongs to another food bank.") % {"name": obj})


# --- Reference data -------------------------------------------------------------------------------


def upsert_item(
    *,
    food_bank: Organisation,
    code: str,
    name: str,
    category: str = Item.Category.FOOD,
    unit: str = "個",
    weight_kg: Decimal | float | str = 0,
    active: bool = True,
) -> Item:
    item, _created = Item.objects.update_or_create(
        food_bank=food_bank,
        code=code,
        defaults={
            "name": name,
            "category": category,
            "unit": unit,
            "weight_kg": Decimal(str(weight_kg)),
            "active": active,
        },
    )
    return item


def upsert_pack_type(
    *, food_bank: Organisation, code: str, name: str, days: int, sort_order: int = 0, active: bool = True
) -> PackType:
    pack_type, _created = PackType.objects.update_or_create(
        food_bank=food_bank,
        code=code,
        defaults={"name": name, "days": days, "sort_order": sort_order, "active": active},
    )
    return pack_type


@transaction.atomic
def set_pack_recipe(
    *, pack_type: PackType, lines: Sequence[tuple[Item, int]], created_by=None, note: str = ""
) -> PackRecipe:
    """Make a new version of ``pack_type``'s bill of contents (earlier versions stay as they were).

    Locks the pack type row so that two changes at once get consecutive versions. Returns the
    current recipe unchanged when ``lines`` equal it (so demo data and retries add no version).
    """
    PackType.objects.select_for_update(of=("self",)).filter(pk=pack_type.pk).first()
    wanted = {item.pk: quantity for item, quantity in lines}
    if not wanted or any(q < 1 for q in wanted.values()):
        raise ValidationError({"lines": _("A recipe needs at least one item, each at least once.")})
    for item, _quantity in lines:
        if item.food_bank_id != pack_type.food_bank_id:
            raise ValidationError({"lines": _("An item belongs to another food bank.")})
    current = PackRecipe.objects.filter(pack_type=pack_type).order_by("-version").first()
    if current is not None and dict(current.lines.values_list("item_id", "quantity")) == wanted:
        return current
    recipe = PackRecipe.objects.create(
        pack_type=pack_type,
        version=(current.version + 1) if current else 1,
        note=note,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    PackRecipeLine.objects.bulk_create(
        [PackRecipeLine(recipe=recipe, item_id=item_id, quantity=q) for item_id, q in wanted.items()]
    )
    return recipe


def next_recipe_version(pack_type: PackType) -> int:
    return (PackRecipe.objects.filter(pack_type=pack_type).aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def set_par_level(*, site: Site, pack_type: PackType, par: int) -> ParLevel:
    if site.kind != Site.Kind.WINDOW:
        raise ValidationError({"site": _("Par levels are set for consultation windows.")})
    _same_tenant(site, pack_type)
    level, _created = ParLevel.objects.update_or_create(
        site=site, pack_type=pack_type, defaults={"food_bank_id": site.food_bank_id, "par": par}
    )
    return level


# --- Donations in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLineIn:
    item: Item
    quantity: int
    best_before: date | None = None


@transaction.atomic
def record_donation_receipt(
    *,
    site: Site,
    donor_type: str,
    weight_kg: Decimal | float | str,
    lines: Sequence[ReceiptLineIn],
    donor_name: str = "",
    reference: str = "",
    note: str = "",
    received_at: datetime | None = None,
    recorded_by=None,
) -> DonationReceipt:
    """Receive donated food at ``site``: one ``receipt`` movement per line (its best-before is the lot).

    Locks the receiving lots (created when new) in primary-key order. A receipt with the same
    non-empty ``reference`` is returned as it is (a retried import books nothing twice).
    """
    if reference:
        existing = DonationReceipt.objects.filter(food_bank_id=site.food_bank_id, reference=reference).first()
        if existing is not None:
            return existing
    if not lines:
        raise ValidationError({"lines": _("A receipt needs at least one line.")})
    _same_tenant(site, *(line.item for line in lines))
    now = timezone.now()
    receipt = DonationReceipt.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        donor_type=donor_type,
        donor_name=donor_name,
        weight_kg=Decimal(str(weight_kg)),
        reference=reference,
        note=note,
        received_at=_check_time(received_at, now),
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    DonationReceiptLine.objects.bulk_create(
        [
            DonationReceiptLine(
                receipt=receipt, item=line.item, quantity=line.quantity, best_before=line.best_before
            )
            for line in lines
        ]
    )
    return book_receipt(receipt=receipt)


@transaction.atomic
def book_receipt(*, receipt: DonationReceipt) -> DonationReceipt:
    """Write the ledger movements of a receipt whose lines are saved (the admin adds receipts this
    way). Does nothing when the receipt is booked already."""
    receipt = (
        DonationReceipt.objects.select_for_update(of=("self",)).select_related("site").get(pk=receipt.pk)
    )
    if receipt.booked_at is not None:
        return receipt
    site = receipt.site
    lines = list(receipt.lines.all())
    if not lines:
        raise ValidationError({"lines": _("A receipt needs at least one line.")})
    _same_tenant(site, *(line.item for line in lines))
    # Each accepted line is a lot of its own; a rejected line never enters stock (inventory.intake).
    lots = donation_lots(receipt=receipt, lines=lines)
    totals: dict[Key, int] = defaultdict(int)
    for line in lines:
        if line.accepted:
            totals[(line.item_id, None, line.best_before, lots[line.pk].pk)] += line.quantity
    if not totals:
        receipt.booked_at = timezone.now()
        receipt.save(update_fields=["booked_at"])
        return receipt
    rows = _ensure_lots(site=site, keys=totals)
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=key,
                quantity=quantity,
                kind=MovementKind.RECEIPT,
                occurred_at=receipt.received_at,
                recorded_by=receipt.recorded_by,
                receipt=receipt,
            )
            for key, quantity in totals.items()
        ]
    )
    _update_balances({rows[key].pk: (quantity, 0) for key, quantity in totals.items()})
    receipt.booked_at = timezone.now()
    receipt.save(update_fields=["booked_at"])
    return receipt


# --- Assembly -------------------------------------------------------------------------------------


def current_recipe(pack_type: PackType) -> PackRecipe | None:
    return PackRecipe.objects.filter(pack_type=pack_type).order_by("-version").first()


@transaction.atomic
def assemble_packs(
    *, site: Site, pack_type: PackType, quantity: int, recorded_by=None, occurred_at: datetime | None = None
) -> Assembly:
    """Make ``quantity`` packs at a warehouse from items, FEFO, to the current recipe.

    Locks, in one ordered ``SELECT … FOR UPDATE``: every lot of the recipe's items and every lot of
    the pack type at the site. The packs' best-before is the earliest among the items used.
    Raises InsufficientStock (nothing written) when an item is short.
    """
    if site.kind != Site.Kind.WAREHOUSE:
        raise ValidationError({"site": _("Packs are assembled in a warehouse.")})
    if quantity < 1:
        raise ValidationError({"quantity": _("At least one.")})
    _same_tenant(site, pack_type)
    recipe = current_recipe(pack_type)
    if recipe is None:
        raise ValidationError({"pack_type": _("This pack type has no recipe yet.")})
    recipe_lines = list(recipe.lines.select_related("item"))
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    rows = _lock_skus(
        site_id=site.pk, item_ids=[line.item_id for line in recipe_lines], pack_type_ids=[pack_type.pk]
    )
    by_item: dict[int, list[Balance]] = defaultdict(list)
    for row in window_set_rows(pack_type=pack_type, rows=rows, recipe_lines=recipe_lines, quantity=quantity):
        if row.item_id:
            by_item[row.item_id].append(row)
    plan, shortages = [], []
    for line in recipe_lines:
        needed = line.quantity * quantity
        allocations, available = _allocate(by_item[line.item_id], needed, today=today)
        if available < needed:
            shortages.append(_shortage(line.item.code, needed, available))
        plan.extend(allocations)
    if shortages:
        raise InsufficientStock(shortages=shortages)
    dates = [row.best_before for row, _q in plan if row.best_before]
    best_before = min(dates) if dates else None
    assembly = Assembly.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        pack_type=pack_type,
        recipe=recipe,
        quantity=quantity,
        best_before=best_before,
        occurred_at=occurred_at,
        recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
    )
    # The packs are a lot of their own, made of the component lots in ``plan`` (inventory.lots).
    pack_key: Key = (None, pack_type.pk, best_before, pack_lot(assembly=assembly, plan=plan).pk)
    pack_rows = _ensure_lots(site=site, keys=[pack_key])
    common = {"site": site, "occurred_at": occurred_at, "recorded_by": recorded_by, "assembly": assembly}
    movements = [
        _movement(key=_key(row), quantity=-q, kind=MovementKind.ASSEMBLY_CONSUME, **common) for row, q in plan
    ]
    movements.append(_movement(key=pack_key, quantity=quantity, kind=MovementKind.ASSEMBLY_PRODUCE, **common))
    StockMovement.objects.bulk_create(movements)
    deltas = {row.pk: (-q, 0) for row, q in plan}
    deltas[pack_rows[pack_key].pk] = (quantity, 0)
    _update_balances(deltas)
    return assembly


# --- Handouts -------------------------------------------------------------------------------------


def record_handout(
    *,
    site: Site,
    lines: Mapping[str, int],
    recorded_by,
    household_size: int | None = None,
    household_type: str = HandoutHouseholdType.UNKNOWN,
    referral_consent: bool = False,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Handout:
    """Hand sets out at a window: ``lines`` maps pack type codes to quantities (``{"day3": 1, "day1": 1}``).

    One short transaction: writes the handout and its lines, then locks the window's balance rows of
    the requested pack types with one ``SELECT … FOR UPDATE`` in primary-key order, checks every line
    (FEFO over unexpired lots), and writes one ``handout`` movement per lot taken and one UPDATE of
    the balances. Raises InsufficientStock when any line is short and UnknownPackType for
    a code the food bank does not have; in both cases nothing is written. The caller checks that
    ``recorded_by`` is window staff of ``site``. No side effects beyond these rows (the referrals app
    reads ``referral_consent`` from the handout).
    """
    if household_type not in HandoutHouseholdType.values:
        raise ValidationError({"household": _("Unknown household type.")})
    today, now = timezone.localdate(), timezone.now()
    occurred_at = _check_time(occurred_at, now)
    with service_transaction():  # joins idempotent_create's transaction: no SAVEPOINT round trips
        # First what needs no lock: the pack types (which also tells an unknown code), the handout
        # and its lines, rows no other handout touches. The window's balance rows are locked last, so
        # concurrent handouts at one window wait only for the FEFO check, the movements and the
        # UPDATE of another, not for its whole transaction. A refusal rolls all of it back.
        pack_types = {
            pt.code: pt
            for pt in PackType.objects.filter(food_bank_id=site.food_bank_id, code__in=list(lines))
        }
        unknown = [code for code in lines if code not in pack_types]
        if unknown:
            raise UnknownPackType(codes=unknown)
        handout = Handout.objects.create(
            food_bank_id=site.food_bank_id,
            site=site,
            household_size=household_size,
            household_type=household_type,
            referral_consent=referral_consent,
            note=note,
            occurred_at=occurred_at,
            recorded_by=recorded_by,
        )
        handout.line_list = HandoutLine.objects.bulk_create(
            [
                HandoutLine(handout=handout, pack_type=pack_types[code], quantity=q)
                for code, q in lines.items()
            ]
        )
        rows = locks.lock_balances(
            Balance.objects.filter(site=site, pack_type_id__in=[pt.pk for pt in pack_types.values()])
        )
        by_code: dict[str, list[Balance]] = defaultdict(list)
        codes = {pt.pk: code for code, pt in pack_types.items()}
        for row in rows:
            by_code[codes[row.pack_type_id]].append(row)
        plan, shortages = [], []
        for code, quantity in lines.items():
            allocations, available = _allocate(by_code.get(code, []), quantity, today=today)
            if available < quantity:
                shortages.append(_shortage(code, quantity, available))
            plan.extend(allocations)
        if shortages:
            raise InsufficientStock(shortages=shortages)
        StockMovement.objects.bulk_create(
            [
                _movement(
                    site=site,
                    key=_key(row),
                    quantity=-q,
                    kind=MovementKind.HANDOUT,
                    occurred_at=occurred_at,
                    recorded_by=recorded_by,
                    handout=handout,
                )
                for row, q in plan
            ]
        )
        _update_balances({row.pk: (-q, 0) for row, q in plan})
    return handout


@transaction.atomic
def void_handout(*, handout_id: int, voided_by, reason: str = ReasonCode.ENTRY_ERROR) -> Handout:
    """Undo a handout logged by mistake: one ``correction`` movement reverses each of its movements,
    putting the sets back into the lots they came from. Locks the handout, then its lots (pk order).
    Voiding twice changes nothing."""
    handout = locks.lock_handout(handout_id)
    if handout.voided_at is not None:
        return handout
    originals = list(handout.movements.filter(kind=MovementKind.HANDOUT).select_related("site"))
    rows = _ensure_lots(site=handout.site, keys={_key(m) for m in originals})
    _reverse(originals, rows=rows, recorded_by=voided_by, reason=reason, handout=handout)
    handout.voided_at = timezone.now()
    handout.voided_by = voided_by if getattr(voided_by, "pk", None) else None
    handout.save(update_fields=["voided_at", "voided_by"])
    return handout


def _reverse(
    originals: Sequence[StockMovement], *, rows: Mapping[Key, Balance], recorded_by, reason: str, **links
):
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


def _sku_code(row) -> str:
    sku = row.item if row.item_id else row.pack_type
    return sku.code


REVERSIBLE = (MovementKind.RECEIPT, MovementKind.ADJUSTMENT, MovementKind.WRITE_OFF)


@transaction.atomic
def reverse_movement(*, movement_id: int, recorded_by, reason: str = ReasonCode.ENTRY_ERROR) -> StockMovement:
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


# --- Adjustments, write-offs and stock-takes ------------------------------------------------------


@transaction.atomic
def record_adjustment(
    *,
    site: Site,
    quantity: int,
    reason: str,
    recorded_by,
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
        raise InsufficientStock(shortages=[_shortage((item or pack_type).code, -quantity, row.on_hand)])
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


def _check_large_difference(differences: Iterable[int], *, by, food_bank_id: int) -> None:
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
    *, site: Site, lines: Sequence[CountIn], counted_by, note: str = "", counted_at: datetime | None = None
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
def confirm_stock_take(*, stock_take_id: int, confirmed_by) -> StockTake:
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


# --- Reservations (the shipping app's interface) --------------------------------------------------


def _sku_totals(pairs: Iterable[tuple[tuple[int | None, int | None], int]]) -> dict:
    totals: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for sku, quantity in pairs:
        totals[sku] += quantity
    return dict(totals)


def reserve_stock(*, site: Site, lines: Sequence[StockNeed], reference: str) -> Reservation:
    """Set stock apart at ``site`` for one dispatch (a parcel, a restock shipment): FEFO lots move from
    ``on_hand`` to ``reserved``. Idempotent per ``reference``: the same reference with the same lines
    returns the existing active or consumed reservation; with other lines it raises
    ReservationMismatch; a released one is reserved afresh.

    Locks the lots of the needed items and pack types (pk order). Raises InsufficientStock (nothing
    written) when any line is short. ``reference`` is the caller's, e.g. ``"parcel:123"``.
    """
    if not lines:
        raise ValidationError({"lines": _("Reserve at least one line.")})
    _same_tenant(site, *(need.item for need in lines), *(need.pack_type for need in lines))
    wanted = _sku_totals((need.sku, need.quantity) for need in lines)
    with transaction.atomic():
        reservation = locks.lock_reservation(reference)
        if reservation is None:
            try:
                with transaction.atomic():
                    reservation = Reservation.objects.create(
                        food_bank_id=site.food_bank_id, site=site, reference=reference
                    )
                    created = True
            except IntegrityError:  # reserved concurrently under the same reference
                reservation, created = locks.lock_reservation(reference), False
        else:
            created = False
        if not created:
            if reservation.site_id != site.pk:
                raise ReservationMismatch()
            if reservation.state != Reservation.State.RELEASED:
                had = _sku_totals(((x.item_id, x.pack_type_id), x.quantity) for x in reservation.lines.all())
                if had != wanted:
                    raise ReservationMismatch()
                return reservation
            # Released earlier (a batch was voided) and wanted again: reserve afresh.
            reservation.lines.all().delete()
            reservation.state = Reservation.State.ACTIVE
            reservation.closed_at = None
            reservation.save(update_fields=["state", "closed_at"])

        today = timezone.localdate()
        rows = _lock_skus(
            site_id=site.pk,
            item_ids=[n.item.pk for n in lines if n.item],
            pack_type_ids=[n.pack_type.pk for n in lines if n.pack_type],
        )
        by_sku: dict[tuple, list[Balance]] = defaultdict(list)
        for row in rows:
            by_sku[(row.item_id, row.pack_type_id)].append(row)
        labels = {need.sku: need.label for need in lines}
        plan, shortages = [], []
        for sku, quantity in wanted.items():
            allocations, available = _allocate(by_sku[sku], quantity, today=today)
            if available < quantity:
                shortages.append(_shortage(labels[sku], quantity, available))
            plan.extend(allocations)
        if shortages:
            raise InsufficientStock(shortages=shortages)
        ReservationLine.objects.bulk_create(
            [
                ReservationLine(
                    reservation=reservation,
                    item_id=row.item_id,
                    pack_type_id=row.pack_type_id,
                    best_before=row.best_before,
                    lot_id=row.lot_id,
                    quantity=q,
                )
                for row, q in plan
            ]
        )
        _update_balances({row.pk: (-q, q) for row, q in plan})
    return reservation


@dataclass(frozen=True)
class ReservedMany:
    """What ``reserve_stock_many`` did: reservation ids by reference, and the references left
    unreserved because stock was short (with ``{sku, requested, available}`` per short line)."""

    reserved: dict[str, int]
    shortages: dict[str, list[dict]]
    # References that had to take stock containing an allergen they avoid (no other lot was left):
    # ``{ref: [{"sku", "allergens": [codes]}]}``, for the packer to substitute by hand.
    substitutions: dict[str, list[dict]] = field(default_factory=dict)


def reserve_stock_many(*, site: Site, needs: Mapping[str, Sequence[StockNeed]]) -> ReservedMany:
    """``reserve_stock`` for many references at once (a dispatch batch's chunk), in a constant number
    of queries: the existing reservations and their lines are read once, all lots of the needed
    items and pack types are locked once (pk order), and reservations, lines and balances are
    written with one bulk insert or UPDATE each.

    Per reference the semantics are reserve_stock's: the same reference with the same lines keeps
    its reservation (idempotent), other lines raise ReservationMismatch (nothing written), a
    released one is reserved afresh, FEFO lot by lot. A reference whose stock is short is not
    reserved at all and is reported in ``shortages`` instead of raising InsufficientStock, so that one
    short parcel does not stop a batch; references are served in the order given.
    """
    needs = dict(needs)
    if not needs:
        return ReservedMany({}, {})
    if any(not lines for lines in needs.values()):
        raise ValidationError({"lines": _("Reserve at least one line.")})
    every = [need for lines in needs.values() for need in lines]
    _same_tenant(site, *{need.item for need in every}, *{need.pack_type for need in every})
    wanted = {ref: _sku_totals((n.sku, n.quantity) for n in lines) for ref, lines in needs.items()}
    labels = {need.sku: need.label for need in every}
    reserved: dict[str, int] = {}
    shortages: dict[str, list[dict]] = {}
    with transaction.atomic():
        existing = {
            r.reference: r
            for r in Reservation.objects.select_for_update(of=("self",))
            .filter(reference__in=list(needs))
            .order_by("pk")
        }
        held: dict[int, list] = defaultdict(list)
        live = [r.pk for r in existing.values() if r.state != Reservation.State.RELEASED]
        if live:
            for line in ReservationLine.objects.filter(reservation_id__in=live):
                held[line.reservation_id].append(((line.item_id, line.pack_type_id), line.quantity))
        todo = []
        for ref in needs:
            found = existing.get(ref)
            if found is None:
                todo.append(ref)
            elif found.site_id != site.pk:
                raise ReservationMismatch()
            elif found.state != Reservation.State.RELEASED:
                if _sku_totals(held[found.pk]) != wanted[ref]:
                    raise ReservationMismatch()
                reserved[ref] = found.pk
            else:
                todo.append(ref)
        if not todo:
            return ReservedMany(reserved, shortages)
        skus = {sku for ref in todo for sku in wanted[ref]}
        rows = _lock_skus(
            site_id=site.pk,
            item_ids=[i for i, _p in skus if i],
            pack_type_ids=[p for _i, p in skus if p],
        )
        by_sku: dict[tuple, list[Balance]] = defaultdict(list)
        for row in rows:
            by_sku[(row.item_id, row.pack_type_id)].append(row)
        today = timezone.localdate()
        plans: dict[str, list[tuple[Balance, int]]] = {}
        avoid = {ref: frozenset().union(*(n.avoid for n in needs[ref])) for ref in todo}
        lot_allergens = allergens_of_lots(rows) if any(avoid.values()) else {}
        substitutions: dict[str, list[dict]] = {}
        for ref in todo:
            plan, short = [], []
            for sku, quantity in wanted[ref].items():
                allocations, available = _allocate(
                    without_allergens(by_sku[sku], avoid[ref], lot_allergens), quantity, today=today
                )
                if available < quantity and avoid[ref]:
                    allocations, available = _allocate(by_sku[sku], quantity, today=today)
                    if available >= quantity:
                        found = sorted({c for r, _q in allocations for c in lot_allergens.get(r.lot_id, ())})
                        substitutions.setdefault(ref, []).append(
                            {"sku": labels[sku], "allergens": sorted(set(found) & avoid[ref])}
                        )
                if available < quantity:
                    short.append(_shortage(labels[sku], quantity, available))
                plan.extend(allocations)
            if short:
                shortages[ref] = short
                continue
            for row, q in plan:  # later references see what this one took
                row.on_hand -= q
            plans[ref] = plan
        substitutions = {ref: subs for ref, subs in substitutions.items() if ref in plans}
        if not plans:
            return ReservedMany(reserved, shortages)
        again = [existing[ref].pk for ref in plans if ref in existing]
        if again:  # released earlier and wanted again: reserve afresh
            ReservationLine.objects.filter(reservation_id__in=again).delete()
            Reservation.objects.filter(pk__in=again).update(state=Reservation.State.ACTIVE, closed_at=None)
        # Reservations and lines as columns in one INSERT each (no model instance per row).
        fresh = [ref for ref in plans if ref not in existing]
        created = insert_many(
            Reservation,
            columns={"reference": fresh},
            same={"food_bank_id": site.food_bank_id, "site_id": site.pk, "state": Reservation.State.ACTIVE},
            returning=("id", "reference"),
        )
        ids = {reference: pk for pk, reference in created} | {
            ref: existing[ref].pk for ref in plans if ref in existing
        }
        deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        lines: dict[str, list] = {
            name: []
            for name in ("reservation_id", "item_id", "pack_type_id", "best_before", "lot_id", "quantity")
        }
        for ref, plan in plans.items():
            for row, q in plan:
                lines["reservation_id"].append(ids[ref])
                lines["item_id"].append(row.item_id)
                lines["pack_type_id"].append(row.pack_type_id)
                lines["best_before"].append(row.best_before)
                lines["lot_id"].append(row.lot_id)
                lines["quantity"].append(q)
                deltas[row.pk][0] -= q
                deltas[row.pk][1] += q
        insert_many(ReservationLine, columns=lines)
        _update_balances({pk: tuple(d) for pk, d in deltas.items()})
        reserved.update(ids)
    return ReservedMany(reserved, shortages, substitutions)


def _lock_reserved_lots(reservation: Reservation) -> tuple[list[ReservationLine], dict[Key, Balance]]:
    lines = list(reservation.lines.all())
    condition = Q(pk__in=[])
    for line in lines:
        condition |= _lot_q(_key(line))
    rows = locks.lock_balances(Balance.objects.filter(condition, site_id=reservation.site_id))
    return lines, {_key(row): row for row in rows}


@transaction.atomic
def consume_reservation(
    *,
    reference: str,
    recorded_by=None,
    occurred_at: datetime | None = None,
    kind: str = MovementKind.PARCEL_PACKING,
    restock: RestockShipment | None = None,
) -> Reservation:
    """The reserved stock was packed and leaves the site: ``reserved`` goes down and one movement
    (``parcel_packing`` by default) per lot is written. Locks the reservation, then its lots.
    Consuming twice changes nothing; a released reservation raises InvalidTransition; an unknown
    reference raises Reservation.DoesNotExist."""
    reservation = locks.lock_reservation(reference)
    if reservation is None:
        raise Reservation.DoesNotExist(reference)
    if reservation.state == Reservation.State.CONSUMED:
        return reservation
    if reservation.state != Reservation.State.ACTIVE:
        raise InvalidTransition(_("This reservation was released."))
    site = Site.objects.get(pk=reservation.site_id)
    lines, rows = _lock_reserved_lots(reservation)
    refuse_quarantined(lot_ids={line.lot_id for line in lines})
    occurred_at = _check_time(occurred_at, timezone.now())
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=_key(line),
                quantity=-line.quantity,
                kind=kind,
                occurred_at=occurred_at,
                recorded_by=recorded_by,
                reference=reference,
                reservation=reservation,
                restock=restock,
            )
            for line in lines
        ]
    )
    deltas: dict[int, tuple[int, int]] = {}
    for line in lines:
        pk = rows[_key(line)].pk
        deltas[pk] = (0, deltas.get(pk, (0, 0))[1] - line.quantity)
    _update_balances(deltas)
    reservation.state = Reservation.State.CONSUMED
    reservation.closed_at = timezone.now()
    reservation.save(update_fields=["state", "closed_at"])
    return reservation


@transaction.atomic
def release_reservation(*, reference: str) -> Reservation | None:
    """Give reserved stock back to ``on_hand`` (a parcel voided, a shipment cancelled). Locks the
    reservation, then its lots. Releasing twice, or an unknown reference, changes nothing (returns the
    reservation, or None); a consumed reservation raises InvalidTransition (the stock has left)."""
    reservation = locks.lock_reservation(reference)
    if reservation is None or reservation.state == Reservation.State.RELEASED:
        return reservation
    if reservation.state == Reservation.State.CONSUMED:
        raise InvalidTransition(_("The reserved stock was already packed."))
    lines, rows = _lock_reserved_lots(reservation)
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        pk = rows[_key(line)].pk
        deltas[pk][0] += line.quantity
        deltas[pk][1] -= line.quantity
    _update_balances({pk: tuple(d) for pk, d in deltas.items()})
    reservation.state = Reservation.State.RELEASED
    reservation.closed_at = timezone.now()
    reservation.save(update_fields=["state", "closed_at"])
    return reservation


@transaction.atomic
def return_packed_stock(*, reference: str, recorded_by, reason: str = ReasonCode.OTHER) -> Reservation | None:
    """A box packed from this reservation was voided before it left the warehouse and is unpacked:
    one ``correction`` movement reverses each packing movement, putting the sets back into the lots
    they came from, and the reservation is released (a later ``reserve_stock`` under the same
    reference reserves afresh). Locks the reservation, then its lots. An active reservation is just
    released; a released one, or an unknown reference, changes nothing (returns it, or None)."""
    reservation = locks.lock_reservation(reference)
    if reservation is None or reservation.state == Reservation.State.RELEASED:
        return reservation
    if reservation.state == Reservation.State.ACTIVE:
        return release_reservation(reference=reference)
    originals = list(
        reservation.movements.filter(quantity__lt=0, reversed_by__isnull=True)
        .exclude(kind=MovementKind.CORRECTION)
        .select_related("site")
        .order_by("pk")
    )
    if originals:
        rows = _ensure_lots(site=originals[0].site, keys={_key(m) for m in originals})
        _reverse(
            originals,
            rows=rows,
            recorded_by=recorded_by,
            reason=reason,
            reference=reference,
            reservation=reservation,
        )
    reservation.state = Reservation.State.RELEASED
    reservation.closed_at = timezone.now()
    reservation.save(update_fields=["state", "closed_at"])
    return reservation


# --- Restocking -----------------------------------------------------------------------------------


def default_warehouse(food_bank_id: int) -> Site:
    warehouse = (
        Site.objects.filter(food_bank_id=food_bank_id, kind=Site.Kind.WAREHOUSE, active=True)
        .order_by("pk")
        .first()
    )
    if warehouse is None:
        raise ValidationError(_("The food bank has no active warehouse."))
    return warehouse


@transaction.atomic
def request_restock(
    *,
    site: Site,
    lines: Mapping[PackType, int],
    requested_by,
    note: str = "",
    origin: str = RestockShipment.Origin.WINDOW,
) -> RestockShipment:
    """A window asks for sets (status ``requested``); a coordinator approves it."""
    if site.kind != Site.Kind.WINDOW:
        raise ValidationError({"site": _("Restocks go to consultation windows.")})
    lines = {pack_type: q for pack_type, q in lines.items() if q}
    if not lines or any(q < 0 for q in lines.values()):
        raise ValidationError({"lines": _("Ask for at least one set.")})
    _same_tenant(site, *lines)
    shipment = RestockShipment.objects.create(
        food_bank_id=site.food_bank_id,
        from_site=default_warehouse(site.food_bank_id),
        to_site=site,
        status=RestockShipment.Status.REQUESTED,
        origin=origin,
        note=note,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
    )
    RestockLine.objects.bulk_create(
        [RestockLine(shipment=shipment, pack_type=pack_type, quantity=q) for pack_type, q in lines.items()]
    )
    return shipment


def _transition(shipment: RestockShipment, allowed: Iterable[str]) -> None:
    if shipment.status not in allowed:
        raise InvalidTransition(
            _("The restock shipment is %(status)s.") % {"status": shipment.get_status_display()},
            status=shipment.status,
        )


@transaction.atomic
def approve_restock(
    *, shipment_id: int, approved_by, quantities: Mapping[int, int] | None = None
) -> RestockShipment:
    """Approve a requested or proposed restock, optionally changing quantities (pack type id → sets;
    0 drops the line). The shipping app then books it into a dispatch batch."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.APPROVED and quantities is None:
        return shipment
    _transition(shipment, [RestockShipment.Status.REQUESTED, RestockShipment.Status.PROPOSED])
    if quantities is not None:
        lines = {line.pack_type_id: line for line in shipment.lines.all()}
        for pack_type_id, quantity in quantities.items():
            line = lines.get(pack_type_id)
            if line is None and quantity:
                pack_type = PackType.objects.get(pk=pack_type_id, food_bank_id=shipment.food_bank_id)
                RestockLine.objects.create(shipment=shipment, pack_type=pack_type, quantity=quantity)
            elif line is not None and quantity:
                RestockLine.objects.filter(pk=line.pk).update(quantity=quantity)
            elif line is not None:
                line.delete()
        if not shipment.lines.exists():
            raise ValidationError({"lines": _("Ask for at least one set.")})
    shipment.status = RestockShipment.Status.APPROVED
    shipment.approved_at = timezone.now()
    shipment.approved_by = approved_by if getattr(approved_by, "pk", None) else None
    shipment.save(update_fields=["status", "approved_at", "approved_by"])
    return shipment


@transaction.atomic
def cancel_restock(*, shipment_id: int) -> RestockShipment:
    """Cancel a restock that has not left the warehouse; a booked one gives its reserved stock back.
    Cancelling twice changes nothing; a packed or received one raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.CANCELLED:
        return shipment
    _transition(
        shipment,
        [
            RestockShipment.Status.PROPOSED,
            RestockShipment.Status.REQUESTED,
            RestockShipment.Status.APPROVED,
            RestockShipment.Status.BOOKED,
        ],
    )
    if shipment.status == RestockShipment.Status.BOOKED:
        release_reservation(reference=shipment.reservation_reference)
    shipment.status = RestockShipment.Status.CANCELLED
    shipment.cancelled_at = timezone.now()
    shipment.save(update_fields=["status", "cancelled_at"])
    return shipment


def _restock_needs(shipment: RestockShipment) -> list[StockNeed]:
    return [
        StockNeed(pack_type=line.pack_type, quantity=line.quantity)
        for line in shipment.lines.select_related("pack_type")
    ]


@transaction.atomic
def mark_restock_booked(*, shipment_id: int, dispatch_reference: str) -> RestockShipment:
    """Shipping booked an approved restock into a dispatch batch: the warehouse's sets are reserved
    (FEFO) under ``"restock:<id>"``. Locks the shipment, then the reservation and lots. Calling it
    again with the same ``dispatch_reference`` changes nothing. Raises InsufficientStock (nothing
    written, still approved) when the warehouse is short, InvalidTransition from any other status."""
    shipment = locks.lock_restock_shipment(shipment_id)
    already = (RestockShipment.Status.BOOKED, RestockShipment.Status.PACKED, RestockShipment.Status.RECEIVED)
    if shipment.status in already and shipment.dispatch_reference == dispatch_reference:
        return shipment
    _transition(shipment, [RestockShipment.Status.APPROVED])
    reserve_stock(
        site=shipment.from_site, lines=_restock_needs(shipment), reference=shipment.reservation_reference
    )
    shipment.status = RestockShipment.Status.BOOKED
    shipment.dispatch_reference = dispatch_reference
    shipment.booked_at = timezone.now()
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at"])
    return shipment


@transaction.atomic
def unbook_restock(*, shipment_id: int) -> RestockShipment:
    """Shipping took a booked restock out of its batch: the reservation is released and the shipment
    is approved again (ready for the next batch). Unbooking an approved one changes nothing."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.APPROVED:
        return shipment
    _transition(shipment, [RestockShipment.Status.BOOKED])
    release_reservation(reference=shipment.reservation_reference)
    shipment.status = RestockShipment.Status.APPROVED
    shipment.dispatch_reference = ""
    shipment.booked_at = None
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at"])
    return shipment


@transaction.atomic
def unpack_restock(*, shipment_id: int, recorded_by) -> RestockShipment:
    """Shipping voided the parcel of a packed restock before it left the warehouse: the box is
    unpacked, its sets go back to the lots they came from (``return_packed_stock``) and the shipment
    is approved again, ready for the next batch (``cancel_restock`` may follow). Locks the shipment,
    then the reservation and lots. A booked shipment is unbooked (``unbook_restock``); an approved
    one changes nothing; a received or cancelled one raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status in (RestockShipment.Status.APPROVED, RestockShipment.Status.BOOKED):
        return unbook_restock(shipment_id=shipment_id)
    _transition(shipment, [RestockShipment.Status.PACKED])
    return_packed_stock(reference=shipment.reservation_reference, recorded_by=recorded_by)
    shipment.status = RestockShipment.Status.APPROVED
    shipment.dispatch_reference = ""
    shipment.booked_at = None
    shipment.packed_at = None
    shipment.save(update_fields=["status", "dispatch_reference", "booked_at", "packed_at"])
    return shipment


@transaction.atomic
def mark_restock_packed(
    *, shipment_id: int, packed_by=None, occurred_at: datetime | None = None
) -> RestockShipment:
    """The restock left the warehouse: its reserved lots are written out as ``transfer_out`` and are
    in transit until the window confirms. From ``approved`` (no dispatch batch: hand delivery) the
    stock is reserved and packed in one go. Packing twice changes nothing."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status in (RestockShipment.Status.PACKED, RestockShipment.Status.RECEIVED):
        return shipment
    _transition(shipment, [RestockShipment.Status.APPROVED, RestockShipment.Status.BOOKED])
    if shipment.status == RestockShipment.Status.APPROVED:
        reserve_stock(
            site=shipment.from_site, lines=_restock_needs(shipment), reference=shipment.reservation_reference
        )
    consume_reservation(
        reference=shipment.reservation_reference,
        recorded_by=packed_by,
        occurred_at=occurred_at,
        kind=MovementKind.TRANSFER_OUT,
        restock=shipment,
    )
    shipment.status = RestockShipment.Status.PACKED
    shipment.packed_at = occurred_at or timezone.now()
    shipment.save(update_fields=["status", "packed_at"])
    return shipment


@transaction.atomic
def confirm_restock_receipt(
    *, shipment_id: int, received_by, occurred_at: datetime | None = None
) -> RestockShipment:
    """The window confirms the sets arrived: the lots that left the warehouse come in as
    ``transfer_in`` at the window, best-before dates kept. Locks the shipment, then the window's lots.
    Confirming twice changes nothing; before it was packed raises InvalidTransition."""
    shipment = locks.lock_restock_shipment(shipment_id)
    if shipment.status == RestockShipment.Status.RECEIVED:
        return shipment
    _transition(shipment, [RestockShipment.Status.PACKED])
    reservation = Reservation.objects.get(reference=shipment.reservation_reference)
    totals: dict[Key, int] = defaultdict(int)
    for line in reservation.lines.all():
        totals[_key(line)] += line.quantity
    site = shipment.to_site
    rows = _ensure_lots(site=site, keys=totals)
    occurred_at = _check_time(occurred_at, timezone.now())
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=key,
                quantity=quantity,
                kind=MovementKind.TRANSFER_IN,
                occurred_at=occurred_at,
                recorded_by=received_by,
                reference=shipment.reservation_reference,
                restock=shipment,
            )
            for key, quantity in totals.items()
        ]
    )
    _update_balances({rows[key].pk: (quantity, 0) for key, quantity in totals.items()})
    shipment.status = RestockShipment.Status.RECEIVED
    shipment.received_at = occurred_at
    shipment.received_by = received_by if getattr(received_by, "pk", None) else None
    shipment.save(update_fields=["status", "received_at", "received_by"])
    return shipment


# --- Nightly planning: holiday peaks, proposals, expiry -------------------------------------------


@dataclass(frozen=True)
class Peak:
    """A holiday when windows close and people in crisis still come: (month, day) start and end."""

    code: str
    start: tuple[int, int]
    end: tuple[int, int]

    def dates(self, year: int) -> tuple[date, date]:
        """The peak that starts in ``year`` (New Year ends in the next year)."""
        start = date(year, *self.start)
        end_year = year + 1 if self.end < self.start else year
        return start, date(end_year, *self.end)


PEAKS = (
    Peak("golden_week", (4, 29), (5, 6)),
    Peak("obon", (8, 13), (8, 16)),
    Peak("new_year", (12, 29), (1, 3)),
)
# Last year's handouts are counted over the peak and the week before it (the rush before closing).
PEAK_DEMAND_DAYS_BEFORE = 7


def upcoming_peak(today: date) -> tuple[Peak, date, date] | None:
    """The peak whose raised par applies today: from ``INVENTORY_PEAK_LEAD_DAYS`` before it starts
    until it ends."""
    lead = timedelta(days=settings.INVENTORY_PEAK_LEAD_DAYS)
    for year in (today.year - 1, today.year):
        for peak in PEAKS:
            start, end = peak.dates(year)
            if start - lead <= today <= end:
                return peak, start, end
    return None


def _local_range(first: date, last: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(first, datetime.min.time(), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz),
    )


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def raise_seasonal_par_levels(*, food_bank_id: int, today: date) -> int:
    """Ahead of Golden Week, Obon and New Year, raise each window's par to what it handed out over the
    same peak (and the week before it) last year, until the peak ends; afterwards clear it.
    Idempotent: the same day gives the same par levels. Returns how many par levels changed."""
    found = upcoming_peak(today)
    demand: dict[tuple[int, int], int] = {}
    if found:
        peak, start, end = found
        first = _shift_year(start, -1) - timedelta(days=PEAK_DEMAND_DAYS_BEFORE)
        since, until = _local_range(first, _shift_year(end, -1))
        demand = {
            (row["handout__site_id"], row["pack_type_id"]): row["sets"]
            for row in HandoutLine.objects.filter(
                handout__food_bank_id=food_bank_id,
                handout__voided_at__isnull=True,
                handout__occurred_at__gte=since,
                handout__occurred_at__lt=until,
            )
            .values("handout__site_id", "pack_type_id")
            .annotate(sets=Sum("quantity"))
        }
    changed = 0
    for level in (
        ParLevel.objects.select_for_update(of=("self",)).filter(food_bank_id=food_bank_id).order_by("pk")
    ):
        if found:
            wanted = (
                demand.get((level.site_id, level.pack_type_id), 0),
                end,
                f"{peak.code}-{start.year}",
            )
            if wanted[0] <= level.par:
                wanted = (None, None, "")
        elif level.seasonal_until and level.seasonal_until >= today:
            wanted = (level.seasonal_par, level.seasonal_until, level.seasonal_label)
        else:
            wanted = (None, None, "")
        if (level.seasonal_par, level.seasonal_until, level.seasonal_label) != wanted:
            level.seasonal_par, level.seasonal_until, level.seasonal_label = wanted
            level.save(update_fields=["seasonal_par", "seasonal_until", "seasonal_label", "updated_at"])
            changed += 1
    return changed


def _pipeline(food_bank_id: int, *, exclude_status: str) -> dict[tuple[int, int], int]:
    """Sets on their way to each window: open restock shipments' lines, by (window, pack type)."""
    open_statuses = [s for s in RestockShipment.OPEN if s != exclude_status]
    return {
        (row["shipment__to_site_id"], row["pack_type_id"]): row["sets"]
        for row in RestockLine.objects.filter(
            shipment__food_bank_id=food_bank_id, shipment__status__in=open_statuses
        )
        .values("shipment__to_site_id", "pack_type_id")
        .annotate(sets=Sum("quantity"))
    }


@transaction.atomic
def propose_restocks(*, food_bank_id: int, today: date) -> list[RestockShipment]:
    """For every window under par (usable stock + sets already on their way < effective par), keep one
    ``proposed`` restock shipment with the shortfall; a window no longer short has its proposal
    cancelled. Idempotent: running twice on the same stock gives the same proposals.
    Locks the food bank's par levels (pk order) so that two runs do not interleave. A food bank
    without an active warehouse has nothing to send from: nothing is proposed."""
    if not Site.objects.filter(food_bank_id=food_bank_id, kind=Site.Kind.WAREHOUSE, active=True).exists():
        logger.warning("Food bank %s has no active warehouse: no restocks proposed", food_bank_id)
        return []
    levels = list(
        ParLevel.objects.select_for_update(of=("self",))
        .filter(food_bank_id=food_bank_id, site__active=True)
        .select_related("site", "pack_type")
        .order_by("pk")
    )
    stock = {
        (row["site_id"], row["pack_type_id"]): row["usable"]
        for row in Balance.objects.filter(food_bank_id=food_bank_id, pack_type__isnull=False)
        .filter(Q(best_before__isnull=True) | Q(best_before__gte=today))
        .values("site_id", "pack_type_id")
        .annotate(usable=Sum(F("on_hand") + F("reserved")))
    }
    pipeline = _pipeline(food_bank_id, exclude_status=RestockShipment.Status.PROPOSED)
    shortfall: dict[int, dict[PackType, int]] = defaultdict(dict)
    sites = {}
    for level in levels:
        sites[level.site_id] = level.site
        key = (level.site_id, level.pack_type_id)
        missing = level.effective_on(today) - stock.get(key, 0) - pipeline.get(key, 0)
        if missing > 0:
            shortfall[level.site_id][level.pack_type] = missing
    proposals = {
        s.to_site_id: s
        for s in RestockShipment.objects.select_for_update(of=("self",)).filter(
            food_bank_id=food_bank_id, status=RestockShipment.Status.PROPOSED
        )
    }
    result = []
    for site_id in sorted(set(sites) | set(proposals)):
        wanted = shortfall.get(site_id, {})
        proposal = proposals.get(site_id)
        if not wanted:
            if proposal is not None:
                cancel_restock(shipment_id=proposal.pk)
            continue
        if proposal is None:
            proposal = RestockShipment.objects.create(
                food_bank_id=food_bank_id,
                from_site=default_warehouse(food_bank_id),
                to_site=sites[site_id],
                status=RestockShipment.Status.PROPOSED,
                origin=RestockShipment.Origin.NIGHTLY,
            )
        current = {line.pack_type_id: line.quantity for line in proposal.lines.all()}
        if current != {pt.pk: q for pt, q in wanted.items()}:
            proposal.lines.all().delete()
            RestockLine.objects.bulk_create(
                [RestockLine(shipment=proposal, pack_type=pt, quantity=q) for pt, q in wanted.items()]
            )
        result.append(proposal)
    return result


@transaction.atomic
def build_expiry_reports(*, food_bank_id: int, today: date, within_days: int) -> list[ExpiryReport]:
    """Write today's list of stock at each site that expires within ``within_days`` days or has
    expired (one ``ExpiryReport`` per site with any). Running again the same day rewrites the same
    rows; a site with nothing expiring has no report for the day."""
    horizon = today + timedelta(days=within_days)
    rows = (
        Balance.objects.filter(food_bank_id=food_bank_id, best_before__lte=horizon)
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
        .select_related("item", "pack_type")
        .order_by("site_id", "best_before", "pk")
    )
    lines: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        sku = row.item or row.pack_type
        lines[row.site_id].append(
            {
                "kind": "item" if row.item_id else "pack_type",
                "sku": sku.code,
                "name": sku.name,
                "best_before": row.best_before.isoformat(),
                "quantity": row.on_hand + row.reserved,
                "expired": row.best_before < today,
            }
        )
    ExpiryReport.objects.filter(food_bank_id=food_bank_id, report_date=today).exclude(
        site_id__in=lines
    ).delete()
    reports = []
    for site_id, site_lines in lines.items():
        report, _created = ExpiryReport.objects.update_or_create(
            site_id=site_id,
            report_date=today,
            defaults={"food_bank_id": food_bank_id, "within_days": within_days, "lines": site_lines},
        )
        reports.append(report)
    return reports


# --- Retention (called by referrals.retention) ----------------------------------------------------


def erase_handout_notes(*, before: datetime) -> int:
    """Erase the free-text note of every handout that took place before ``before`` (the retention
    cutoff). Everything the reports count (site, household, lines, dates) stays. Returns how many
    notes were erased; a second run finds none."""
    return Handout.objects.filter(occurred_at__lt=before).exclude(note="").update(note="")
