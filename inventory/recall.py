"""Recall on the inventory side (docs/traceability.md): which lots a recall covers, the one-action
quarantine, and the lot's trail through the ledger (stock, assemblies, restocks, handouts, packing).

Who received a parcel is the shipping and referrals apps' to say; ``traceability.trace`` adds it on
top of ``lot_trail``. Every read here is a fixed number of queries, whatever the size of the ledger
(bench/recall_bench.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Organisation, Site

from . import locks
from .lot_models import Incident, Lot, Recall
from .models import Balance, Item, MovementKind, StockMovement

# --- Which lots ------------------------------------------------------------------------------------


def lot_closure(lot_ids) -> set[int]:
    """The lots and the pack lots assembled from them (one query)."""
    ids = set(lot_ids)
    if not ids:
        return ids
    packs = Lot.objects.filter(
        assembly__movements__lot_id__in=ids, assembly__movements__kind=MovementKind.ASSEMBLY_CONSUME
    ).values_list("pk", flat=True)
    return ids | set(packs)


def product_lots(*, food_bank_id: int, item: Item, date_from: date | None, date_to: date | None) -> list[int]:
    """The lots of one product whose label date falls in the range (donation and unknown-donor lots)."""
    q = Q(food_bank_id=food_bank_id, item=item)
    if date_from:
        q &= Q(best_before__gte=date_from)
    if date_to:
        q &= Q(best_before__lte=date_to)
    return list(Lot.objects.filter(q).order_by("pk").values_list("pk", flat=True))


# --- Quarantine ------------------------------------------------------------------------------------


def _quarantine_rows(rows, *, reference: str, recorded_by, now: datetime) -> int:
    """Move the on-hand stock of locked balance rows out of use with ``quarantine`` movements.

    Written here rather than through ``inventory.services`` (which calls back into this module when
    stock comes in): the movements and the relative balance UPDATE are what its primitives write."""
    taken = [row for row in rows if row.on_hand > 0]
    if not taken:
        return 0
    actor = recorded_by if getattr(recorded_by, "pk", None) else None
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                food_bank_id=row.food_bank_id,
                site_id=row.site_id,
                item_id=row.item_id,
                pack_type_id=row.pack_type_id,
                best_before=row.best_before,
                lot_id=row.lot_id,
                quantity=-row.on_hand,
                kind=MovementKind.QUARANTINE,
                reason="recalled",
                reference=reference,
                occurred_at=now,
                recorded_by=actor,
            )
            for row in taken
        ]
    )
    for row in taken:
        Balance.objects.filter(pk=row.pk).update(on_hand=F("on_hand") - row.on_hand)
    return sum(row.on_hand for row in taken)


@transaction.atomic
def start_recall(
    *,
    food_bank: Organisation,
    reason: str,
    started_by,
    lot: Lot | None = None,
    item: Item | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    incident: Incident | None = None,
) -> Recall:
    """Recall a donor lot, or a product over a range of label dates, and quarantine all of it at once:
    the lots and every pack lot made from them are marked quarantined, and their on-hand stock at
    every site leaves use with one ``quarantine`` movement per balance row.

    Updates the lots (no key lock), then locks every balance row of them (pk order): a handout or a packing
    that holds one of those rows finishes first and appears in the trail; one that comes after finds
    no stock (InsufficientStock) or a quarantined lot (LotQuarantined). Stock reserved for a parcel
    stays reserved but cannot be packed; stock that comes back later (a voided handout, a restock
    arriving) is quarantined as it arrives (``quarantine_returned_stock``).
    """
    if (lot is None) == (item is None):
        raise ValidationError(_("Name a lot, or a product with a range of dates."))
    for obj in (lot, item, incident):
        if obj is not None and obj.food_bank_id != food_bank.pk:
            raise ValidationError(_("%(name)s belongs to another food bank.") % {"name": obj})
    roots = (
        [lot.pk]
        if lot
        else product_lots(food_bank_id=food_bank.pk, item=item, date_from=date_from, date_to=date_to)
    )
    if not roots:
        raise ValidationError({"item": _("No lot of this product has a date in that range.")})
    ids = sorted(lot_closure(roots))
    now = timezone.now()
    recall = Recall.objects.create(
        food_bank=food_bank,
        lot=lot,
        item=item,
        date_from=date_from,
        date_to=date_to,
        reason=reason,
        incident=incident,
        started_by=started_by,
    )
    recall.lots.set(ids)
    # A plain UPDATE takes FOR NO KEY UPDATE on the lots, which does not block the FOR KEY SHARE that
    # a handout's new movement takes on its lot (FOR UPDATE would, and deadlock with the handout's
    # balance lock); two recalls of one lot still queue here.
    Lot.objects.filter(pk__in=ids, quarantined_at__isnull=True).update(quarantined_at=now)
    rows = locks.lock_balances(Balance.objects.filter(lot_id__in=ids))
    _quarantine_rows(rows, reference=recall.reference, recorded_by=started_by, now=now)
    return recall


def quarantine_returned_stock(*, balance_ids) -> int:
    """Stock that came back into a quarantined lot (on locked rows) leaves use again at once, under the
    lot's latest recall. Called by ``inventory.services.ledger._update_balances`` whenever stock comes in."""
    rows = list(
        Balance.objects.filter(pk__in=balance_ids, on_hand__gt=0, lot__quarantined_at__isnull=False).order_by(
            "pk"
        )
    )
    if not rows:
        return 0
    latest = {
        row["lots"]: row["recall"]
        for row in Recall.objects.filter(lots__in={r.lot_id for r in rows})
        .values("lots")
        .annotate(recall=Max("pk"))
        .order_by()
    }
    now, total = timezone.now(), 0
    for recall_id in sorted(set(latest.values())):
        mine = [row for row in rows if latest.get(row.lot_id) == recall_id]
        total += _quarantine_rows(mine, reference=f"recall:{recall_id}", recorded_by=None, now=now)
    return total


# --- The lot's trail -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockAt:
    site_id: int
    site_name: str
    site_kind: str
    lot_id: int
    on_hand: int
    reserved: int
    quarantined: int


@dataclass(frozen=True)
class Assembled:
    assembly_id: int
    pack_lot_id: int
    pack_type: str
    component_lot_id: int
    quantity: int  # units of the component lot used
    packs: int  # packs the assembly made
    occurred_at: datetime


@dataclass(frozen=True)
class Shipped:
    restock_id: int
    to_site_id: int
    to_site_name: str
    lot_id: int
    quantity: int
    occurred_at: datetime


@dataclass(frozen=True)
class WindowHandouts:
    """Sets of the lots handed out at one window on one day: counts only (handouts are anonymous)."""

    site_id: int
    site_name: str
    day: date
    handouts: int
    sets: int
    # Handouts whose staff recorded the sets' condition as not checked (docs/traceability.md).
    unchecked: int = 0


@dataclass(frozen=True)
class Packed:
    """Units of the lots packed under one reservation reference (``parcel:<ref>``, ``restock:<id>``)."""

    reference: str
    site_id: int
    quantity: int
    occurred_at: datetime


@dataclass(frozen=True)
class LotTrail:
    lots: dict[int, Lot]
    roots: list[int]
    stock: list[StockAt] = field(default_factory=list)
    assembled: list[Assembled] = field(default_factory=list)
    shipped: list[Shipped] = field(default_factory=list)
    handouts: list[WindowHandouts] = field(default_factory=list)
    packed: list[Packed] = field(default_factory=list)

    @property
    def handout_sets(self) -> int:
        return sum(h.sets for h in self.handouts)

    @property
    def remaining(self) -> int:
        return sum(s.on_hand + s.reserved + s.quarantined for s in self.stock)


def lot_trail(*, food_bank_id: int, lot_ids) -> LotTrail:
    """Where the lots and the packs made from them went, from the ledger (8 queries, whatever its
    size): stock per site and lot (with what is quarantined), assemblies, restock shipments,
    window handouts per window and day (counts), and packing per reservation reference. Movements
    reversed by a correction (a voided handout, an unpacked box) are left out with their reversal."""
    roots = sorted(set(lot_ids))
    ids = lot_closure(roots)
    lots = {
        lot.pk: lot
        for lot in Lot.objects.filter(pk__in=ids, food_bank_id=food_bank_id).select_related(
            "item", "pack_type", "donor", "receipt_line__receipt"
        )
    }
    ids = set(lots)
    live = StockMovement.objects.filter(lot_id__in=ids, food_bank_id=food_bank_id, reversed_by__isnull=True)
    balances = (
        Balance.objects.filter(lot_id__in=ids, food_bank_id=food_bank_id)
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
        .values("site_id", "site__name", "site__kind", "lot_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        .order_by("site_id", "lot_id")
    )
    quarantined = {
        (row["site_id"], row["lot_id"]): -row["total"]
        for row in live.filter(kind=MovementKind.QUARANTINE)
        .values("site_id", "lot_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    stock: dict[tuple[int, int], StockAt] = {}
    names = {}
    for row in balances:
        key = (row["site_id"], row["lot_id"])
        names[row["site_id"]] = (row["site__name"], row["site__kind"])
        stock[key] = StockAt(
            row["site_id"],
            row["site__name"],
            row["site__kind"],
            row["lot_id"],
            row["on_hand"],
            row["reserved"],
            quarantined.pop(key, 0),
        )
    if quarantined:
        for site in Site.objects.filter(pk__in={s for s, _l in quarantined}):
            names[site.pk] = (site.name, site.kind)
        for (site_id, lot_id), q in quarantined.items():
            if q:
                stock[(site_id, lot_id)] = StockAt(site_id, *names[site_id], lot_id, 0, 0, q)
    assembled = [
        Assembled(
            row["assembly_id"],
            row["assembly__lot__pk"],
            row["assembly__pack_type__name"],
            row["lot_id"],
            -row["total"],
            row["assembly__quantity"],
            row["assembly__occurred_at"],
        )
        for row in live.filter(kind=MovementKind.ASSEMBLY_CONSUME)
        .values(
            "assembly_id",
            "assembly__lot__pk",
            "assembly__pack_type__name",
            "lot_id",
            "assembly__quantity",
            "assembly__occurred_at",
        )
        .annotate(total=Sum("quantity"))
        .order_by("assembly__occurred_at", "assembly_id", "lot_id")
    ]
    shipped = [
        Shipped(
            row["restock_id"],
            row["restock__to_site_id"],
            row["restock__to_site__name"],
            row["lot_id"],
            -row["total"],
            row["when"],
        )
        for row in live.filter(kind=MovementKind.TRANSFER_OUT, restock__isnull=False)
        .values("restock_id", "restock__to_site_id", "restock__to_site__name", "lot_id")
        .annotate(total=Sum("quantity"), when=Min("occurred_at"))
        .order_by("when", "restock_id")
    ]
    tz = timezone.get_current_timezone()
    per_day: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    handout_ids: dict[tuple[int, date], set[int]] = defaultdict(set)
    unchecked: dict[tuple[int, date], set[int]] = defaultdict(set)
    site_names = {}
    for handed in (
        live.filter(kind=MovementKind.HANDOUT)
        .values("site_id", "site__name", "handout_id", "handout__condition_checked", "occurred_at")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        day = (handed["site_id"], handed["occurred_at"].astimezone(tz).date())
        site_names[handed["site_id"]] = handed["site__name"]
        handout_ids[day].add(handed["handout_id"])
        if handed["handout__condition_checked"] is False:
            unchecked[day].add(handed["handout_id"])
        per_day[day][1] += -handed["total"]
    handouts = [
        WindowHandouts(
            site_id,
            site_names[site_id],
            day,
            len(handout_ids[(site_id, day)]),
            sets,
            len(unchecked[(site_id, day)]),
        )
        for (site_id, day), (_n, sets) in sorted(per_day.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    packed = [
        Packed(row["reference"], row["site_id"], -row["total"], row["when"])
        for row in live.filter(kind=MovementKind.PARCEL_PACKING)
        .values("reference", "site_id")
        .annotate(total=Sum("quantity"), when=Min("occurred_at"), n=Count("pk"))
        .order_by("when", "reference")
    ]
    return LotTrail(
        lots=lots,
        roots=roots,
        stock=sorted(stock.values(), key=lambda s: (s.site_id, s.lot_id)),
        assembled=assembled,
        shipped=shipped,
        handouts=handouts,
        packed=packed,
    )


# --- Incidents -------------------------------------------------------------------------------------


@transaction.atomic
def report_incident(
    *, food_bank: Organisation, kind: str, occurred_on: date, description: str, lots, reported_by
) -> Incident:
    """Log an incident (suspected food poisoning, damage, foreign matter …) linked to the lots involved;
    a coordinator may then start a recall naming it (``start_recall(incident=…)``)."""
    if kind not in Incident.Kind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    lots = list(lots)
    if any(lot.food_bank_id != food_bank.pk for lot in lots):
        raise ValidationError({"lots": _("A lot belongs to another food bank.")})
    incident = Incident.objects.create(
        food_bank=food_bank,
        kind=kind,
        occurred_on=occurred_on,
        description=description,
        reported_by=reported_by,
    )
    incident.lots.set(lots)
    return incident
