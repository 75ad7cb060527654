"""Reservations, the shipping app's interface: stock set apart for a parcel or a restock shipment,
then consumed when packed, released when voided, or given back when a packed box is unpacked.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NotRequired, TypedDict

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.bulk import insert_many
from foodbank.exceptions import InvalidTransition
from foodbank.models import Site

from .. import locks
from ..exceptions import InsufficientStock, ReservationMismatch, Shortage
from ..lots import allergens_of_lots, refuse_quarantined, without_allergens
from ..models import (
    Balance,
    MovementKind,
    PackType,
    ReasonCode,
    Reservation,
    ReservationLine,
    RestockShipment,
    StockMovement,
)
from .corrections import _reverse
from .ledger import (
    Key,
    Sku,
    StockNeed,
    _allocate,
    _check_time,
    _ensure_lots,
    _key,
    _lock_skus,
    _lot_q,
    _movement,
    _same_tenant,
    _shortage,
    _update_balances,
)


def _sku_totals(pairs: Iterable[tuple[Sku, int]]) -> dict[Sku, int]:
    totals: dict[Sku, int] = defaultdict(int)
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
                if reservation is None:  # never: the row that refused ours is there now
                    raise
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
        by_sku: dict[Sku, list[Balance]] = defaultdict(list)
        for row in rows:
            by_sku[(row.item_id, row.pack_type_id)].append(row)
        labels = {need.sku: need.label for need in lines}
        plan: list[tuple[Balance, int]] = []
        shortages: list[Shortage] = []
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


class Substitution(TypedDict):
    """Stock with an allergen the household avoids, taken because no other lot was left."""

    sku: str
    allergens: list[str]  # codes; all the household avoids when ``unknown``
    unknown: NotRequired[bool]  # the lots passed over have no allergen data


class Alternative(TypedDict):
    """An allergen-free alternative pack type reserved instead of the one asked for."""

    sku: str
    name: str
    alternative: str
    alternative_name: str
    quantity: int
    allergens: list[str]


@dataclass(frozen=True)
class ReservedMany:
    """What ``reserve_stock_many`` did: reservation ids by reference, and the references left
    unreserved because stock was short (with ``{sku, requested, available}`` per short line)."""

    reserved: dict[str, int]
    shortages: dict[str, list[Shortage]]
    # References that had to take stock containing an allergen they avoid (no other lot was left):
    # ``{ref: [{"sku", "allergens": [codes]}]}``, for the packer to substitute by hand.
    substitutions: dict[str, list[Substitution]] = field(default_factory=dict)
    # References served with an allergen-free alternative pack type instead of the one asked for:
    # ``{ref: [{"sku", "name", "alternative", "alternative_name", "quantity", "allergens"}]}``
    # (codes and names), for the slip.
    alternatives: dict[str, list[Alternative]] = field(default_factory=dict)


def _alternatives(needs: Iterable[StockNeed], food_bank_id: int) -> dict[int | None, list[PackType]]:
    """The active alternatives of the needed pack types that households avoiding allergens may get,
    in the food bank's order (one query). Keyed by pack type id; a SKU's pack type id is None for an
    item, which has none."""
    ids = {n.pack_type.pk for n in needs if n.pack_type and n.avoid}
    if not ids:
        return {}
    found: dict[int | None, list[PackType]] = defaultdict(list)
    through = PackType.alternatives.through
    for link in (
        through.objects.filter(
            from_packtype_id__in=ids, to_packtype__active=True, to_packtype__food_bank_id=food_bank_id
        )
        .select_related("to_packtype")
        .order_by("to_packtype__sort_order", "to_packtype__days", "to_packtype__code")
    ):
        found[link.from_packtype_id].append(link.to_packtype)
    return dict(found)


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

    A need that avoids allergens takes lots without them; when its pack type has none (enough), an
    alternative pack type of it (``PackType.alternatives``) that has is reserved instead and reported
    in ``alternatives``; only when none has, the pack with the allergen is reserved and reported in
    ``substitutions`` (docs/traceability.md). Reading the alternatives is one query more, and only
    when some need avoids allergens.
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
    shortages: dict[str, list[Shortage]] = {}
    alternatives = _alternatives(every, site.food_bank_id)
    # A reservation that took an alternative matches the need it stood in for (a retry).
    stood_for: dict[Sku, Sku] = {
        (None, alt.pk): (None, pt_id) for pt_id, alts in alternatives.items() for alt in alts
    }
    with transaction.atomic():
        existing = {r.reference: r for r in locks.lock_reservations(needs)}
        held: dict[int, list[tuple[Sku, int]]] = defaultdict(list)
        live = [r.pk for r in existing.values() if r.state != Reservation.State.RELEASED]
        if live:
            for line in ReservationLine.objects.filter(reservation_id__in=live):
                held[line.reservation_id].append(((line.item_id, line.pack_type_id), line.quantity))
        todo: list[str] = []
        for ref in needs:
            found = existing.get(ref)
            if found is None:
                todo.append(ref)
            elif found.site_id != site.pk:
                raise ReservationMismatch()
            elif found.state != Reservation.State.RELEASED:
                if _sku_totals(held[found.pk]) != wanted[ref] and (
                    _sku_totals((stood_for.get(sku, sku), q) for sku, q in held[found.pk]) != wanted[ref]
                ):
                    raise ReservationMismatch()
                reserved[ref] = found.pk
            else:
                todo.append(ref)
        if not todo:
            return ReservedMany(reserved, shortages)
        skus = {sku for ref in todo for sku in wanted[ref]}
        skus |= {(None, alt.pk) for (_i, p) in skus if p in alternatives for alt in alternatives[p]}
        rows = _lock_skus(
            site_id=site.pk,
            item_ids=[i for i, _p in skus if i],
            pack_type_ids=[p for _i, p in skus if p],
        )
        by_sku: dict[Sku, list[Balance]] = defaultdict(list)
        for row in rows:
            by_sku[(row.item_id, row.pack_type_id)].append(row)
        today = timezone.localdate()
        plans: dict[str, list[tuple[Balance, int]]] = {}
        avoid = {ref: frozenset().union(*(n.avoid for n in needs[ref])) for ref in todo}
        lot_allergens = allergens_of_lots(rows) if any(avoid.values()) else {}
        substitutions: dict[str, list[Substitution]] = {}
        chosen: dict[str, list[Alternative]] = {}
        names = {need.sku: need.pack_type.name for need in every if need.pack_type}
        for ref in todo:
            plan = []
            short: list[Shortage] = []
            # A pack type this reference takes already (asked for, or standing in for another line)
            # is not taken again as an alternative: its rows would be allocated twice.
            taken = set(wanted[ref])
            for sku, quantity in wanted[ref].items():
                allocations, available = _allocate(
                    without_allergens(by_sku[sku], avoid[ref], lot_allergens), quantity, today=today
                )
                # No lot of it without the household's allergens: an alternative pack type that has
                # enough such lots is packed instead, the whole quantity (one kind of pack per line).
                for alt in alternatives.get(sku[1], []) if available < quantity and avoid[ref] else []:
                    if (None, alt.pk) in taken:
                        continue
                    alt_allocations, alt_available = _allocate(
                        without_allergens(by_sku[(None, alt.pk)], avoid[ref], lot_allergens),
                        quantity,
                        today=today,
                    )
                    if alt_available >= quantity:
                        allocations, available = alt_allocations, alt_available
                        taken.add((None, alt.pk))
                        chosen.setdefault(ref, []).append(
                            {
                                "sku": labels[sku],
                                "name": names.get(sku, labels[sku]),
                                "alternative": alt.code,
                                "alternative_name": alt.name,
                                "quantity": quantity,
                                "allergens": sorted(avoid[ref]),
                            }
                        )
                        break
                if available < quantity and avoid[ref]:
                    allocations, available = _allocate(by_sku[sku], quantity, today=today)
                    if available >= quantity:
                        present = {
                            c
                            for r, _q in allocations
                            for c in (lot_allergens.get(r.lot_id, ()) if r.lot_id else ())
                        }
                        named = sorted(present & avoid[ref])
                        # No lot names an avoided allergen: what was passed over has unknown
                        # allergens (no lot, or a lot without inspection data), so the packer checks
                        # the labels for every allergen the household avoids.
                        substitutions.setdefault(ref, []).append(
                            {"sku": labels[sku], "allergens": named}
                            if named
                            else {"sku": labels[sku], "allergens": sorted(avoid[ref]), "unknown": True}
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
        chosen = {ref: alts for ref, alts in chosen.items() if ref in plans}
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
        lines: dict[str, list[object]] = {
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
        _update_balances({pk: (d[0], d[1]) for pk, d in deltas.items()})
        reserved.update(ids)
    return ReservedMany(reserved, shortages, substitutions, chosen)


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
    recorded_by: User | None = None,
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
    _update_balances({pk: (d[0], d[1]) for pk, d in deltas.items()})
    reservation.state = Reservation.State.RELEASED
    reservation.closed_at = timezone.now()
    reservation.save(update_fields=["state", "closed_at"])
    return reservation


@transaction.atomic
def return_packed_stock(
    *, reference: str, recorded_by: User | None, reason: str = ReasonCode.OTHER
) -> Reservation | None:
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
