"""The ledger's primitives, shared by every writer of ``inventory.services``: a lot's key, the stock
need other apps pass in, locking and creating balance rows, FEFO allocation, the relative balance
update and the movement row (docs/inventory.md).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from foodbank.models import Site

from .. import locks
from ..exceptions import Shortage
from ..models import Balance, Item, PackType, ReservationLine, StockMovement, StockTakeLine
from ..recall import quarantine_returned_stock

# A lot of one stock-keeping unit at a site: (item id, pack type id, best-before date, lot id).
# The lot id is None for stock booked before lots existed (docs/traceability.md).
Key = tuple[int | None, int | None, date | None, int | None]
# A stock-keeping unit: (item id, pack type id), one of them None.
Sku = tuple[int | None, int | None]


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
    def sku(self) -> Sku:
        return (self.item.pk if self.item else None, self.pack_type.pk if self.pack_type else None)

    @property
    def label(self) -> str:
        return _sku_of(self.item, self.pack_type).code


def _sku_of(item: Item | None, pack_type: PackType | None) -> Item | PackType:
    """The one of ``item`` and ``pack_type`` that is given (every caller has checked that one is)."""
    sku = pack_type or item
    if sku is None:
        raise ValueError("Name exactly one of item and pack type.")
    return sku


def _key(row: Balance | StockMovement | ReservationLine | StockTakeLine) -> Key:
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
    assignments: list[str] = []
    params: list[int] = []
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
        quarantine_returned_stock(balance_ids=[pk for pk, (on_hand, _r) in deltas.items() if on_hand > 0])


def _book(
    plan: list[tuple[Balance, int]],
    *,
    site: Site,
    kind: str,
    occurred_at: datetime,
    recorded_by: User | None,
    **extra: Any,
) -> None:
    """Take stock out of locked balance rows: one ``kind`` movement of ``-quantity`` per (row,
    quantity) of ``plan`` and the balances' relative UPDATE. ``extra`` are the movements' other
    shared values (``handout=…``). (On PostgreSQL a handout does this inside the one statement that
    records it: ``inventory.services.handouts``.)"""
    StockMovement.objects.bulk_create(
        [
            _movement(
                site=site,
                key=_key(row),
                quantity=-q,
                kind=kind,
                occurred_at=occurred_at,
                recorded_by=recorded_by,
                **extra,
            )
            for row, q in plan
        ]
    )
    _update_balances({row.pk: (-q, 0) for row, q in plan})


def _movement(
    *,
    site: Site,
    key: Key,
    quantity: int,
    kind: str,
    occurred_at: datetime,
    recorded_by: User | None,
    **extra: Any,
) -> StockMovement:
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


def _shortage(label: str, requested: int, available: int) -> Shortage:
    return {"sku": label, "requested": requested, "available": available}


def _check_time(occurred_at: datetime | None, now: datetime) -> datetime:
    if occurred_at is None:
        return now
    if occurred_at > now + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("Cannot be in the future.")})
    return occurred_at


def _same_tenant(site: Site, *objects: Item | PackType | None) -> None:
    for obj in objects:
        if obj is not None and obj.food_bank_id != site.food_bank_id:
            raise ValidationError(_("%(name)s belongs to another food bank.") % {"name": obj})
