"""Reads of the inventory domain, scoped to what a user may see (docs/spec.md §2).

Scoping lives here and nowhere else:

- stock, movements, stock-takes: coordinators see every site of their food bank, window staff their
  own window, warehouse volunteers the warehouses (or the one their membership names);
- handouts: window staff their own window's, coordinators their food bank's;
- restock shipments: coordinators their food bank's, window staff those to their window, volunteers
  those leaving their warehouses;
- items, pack types, receipts: anyone with a role in the food bank (reference data, no personal data;
  receipts name companies, never private donors).

An object outside the scope is answered with 404 by the API.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from foodbank import selectors as core
from foodbank.models import Role, Site
from foodbank.types import Actor

from .models import (
    Balance,
    DonationReceipt,
    ExpiryReport,
    Handout,
    HandoutLine,
    Item,
    PackRecipe,
    PackType,
    ParLevel,
    Reservation,
    ReservationLine,
    RestockLine,
    RestockShipment,
    StockMovement,
    StockTake,
)

# --- Scope ----------------------------------------------------------------------------------------


def stock_sites_q(user: Actor, *, prefix: str = "") -> Q:
    """A condition on sites (``prefix`` points at a site relation, e.g. ``"site__"``) that the user
    may see the stock of."""
    condition = Q(pk__in=[])
    for m in core.memberships_for(user):
        if m.role == Role.COORDINATOR:
            condition |= Q(**{f"{prefix}food_bank_id": m.food_bank_id})
        elif m.role == Role.WINDOW_STAFF:
            condition |= Q(**{f"{prefix}pk": m.site_id})
        elif m.role == Role.VOLUNTEER:
            condition |= (
                Q(**{f"{prefix}pk": m.site_id})
                if m.site_id
                else Q(**{f"{prefix}food_bank_id": m.food_bank_id, f"{prefix}kind": Site.Kind.WAREHOUSE})
            )
    return condition


def stock_sites(user: Actor) -> QuerySet[Site]:
    """Sites whose stock the user may see (and count, adjust, write off)."""
    return Site.objects.filter(stock_sites_q(user)).select_related("organisation")


def can_manage_stock(user: Actor, site: Site) -> bool:
    """Coordinators of the food bank and volunteers of a warehouse (receipts, assembly, counts)."""
    for m in core.memberships_for(user):
        if m.role == Role.COORDINATOR and m.food_bank_id == site.food_bank_id:
            return True
        if (
            m.role == Role.VOLUNTEER
            and site.kind == Site.Kind.WAREHOUSE
            and m.food_bank_id == site.food_bank_id
            and m.site_id in (None, site.pk)
        ):
            return True
    return False


def window_of(user: Actor, site_id: int) -> Site | None:
    """The window ``site_id`` if the user is window staff there (from the cached memberships: no query)."""
    for m in core.memberships_for(user):
        if m.role == Role.WINDOW_STAFF and m.site_id == site_id:
            return m.site
    return None


def is_coordinator_of(user: Actor, food_bank_id: int) -> bool:
    return food_bank_id in core.food_bank_ids(user, Role.COORDINATOR)


def visible_handouts(user: Actor) -> QuerySet[Handout]:
    condition = Q(site_id__in=core.site_ids(user, Role.WINDOW_STAFF)) | Q(
        food_bank_id__in=core.food_bank_ids(user, Role.COORDINATOR)
    )
    return Handout.objects.filter(condition).prefetch_related(
        Prefetch("lines", queryset=HandoutLine.objects.select_related("pack_type"), to_attr="line_list")
    )


def handout_for_render(pk: int) -> Handout:
    return Handout.objects.prefetch_related(
        Prefetch("lines", queryset=HandoutLine.objects.select_related("pack_type"), to_attr="line_list")
    ).get(pk=pk)


def visible_restock_shipments(user: Actor) -> QuerySet[RestockShipment]:
    condition = Q(food_bank_id__in=core.food_bank_ids(user, Role.COORDINATOR)) | Q(
        to_site_id__in=core.site_ids(user, Role.WINDOW_STAFF)
    )
    for m in core.memberships_for(user):
        if m.role == Role.VOLUNTEER:
            condition |= Q(from_site_id=m.site_id) if m.site_id else Q(food_bank_id=m.food_bank_id)
    return (
        RestockShipment.objects.filter(condition)
        .select_related("to_site", "from_site")
        .prefetch_related("lines__pack_type")
    )


def visible_movements(user: Actor) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(stock_sites_q(user, prefix="site__")).select_related(
        "item", "pack_type", "site"
    )


def visible_stock_takes(user: Actor) -> QuerySet[StockTake]:
    return StockTake.objects.filter(stock_sites_q(user, prefix="site__")).prefetch_related(
        "lines__item", "lines__pack_type"
    )


def visible_receipts(user: Actor) -> QuerySet[DonationReceipt]:
    """Receipts of the food banks where the user is a coordinator or a volunteer."""
    ids = core.food_bank_ids(user, Role.COORDINATOR, Role.VOLUNTEER)
    return DonationReceipt.objects.filter(food_bank_id__in=ids).prefetch_related("lines__item")


def visible_items(user: Actor) -> QuerySet[Item]:
    return Item.objects.filter(food_bank_id__in=core.food_bank_ids(user))


def visible_pack_types(user: Actor) -> QuerySet[PackType]:
    """Pack types of the user's food banks, each with its current recipe (``recipe_list[0]``) and its
    allergen-free alternatives."""
    return PackType.objects.filter(food_bank_id__in=core.food_bank_ids(user)).prefetch_related(
        Prefetch(
            "recipes",
            queryset=PackRecipe.objects.order_by("-version").prefetch_related("lines__item"),
            to_attr="recipe_list",
        ),
        Prefetch("alternatives", queryset=PackType.objects.order_by("sort_order", "days", "code")),
    )


# --- Stock ----------------------------------------------------------------------------------------


@dataclass
class PackStock:
    """One pack type at one site, as the stock endpoint and the window page show it."""

    pack_type: PackType
    quantity: int = 0  # on hand, unexpired: what can be handed out or packed now
    reserved: int = 0
    expired: int = 0
    in_transit: int = 0  # on its way here in packed restock shipments
    earliest_best_before: date | None = None
    par: int | None = None
    stocked: bool = False  # the site has (or had) a lot of it


def _add_balance(stock: PackStock, balance: Balance, today: date) -> None:
    stock.stocked = True
    stock.reserved += balance.reserved
    if balance.best_before is not None and balance.best_before < today:
        stock.expired += balance.on_hand
    elif balance.on_hand > 0:
        stock.quantity += balance.on_hand
        if balance.best_before and (
            stock.earliest_best_before is None or balance.best_before < stock.earliest_best_before
        ):
            stock.earliest_best_before = balance.best_before


def active_pack_types(food_bank_id: int) -> list[PackType]:
    return list(
        PackType.objects.filter(food_bank_id=food_bank_id, active=True).order_by("sort_order", "days", "code")
    )


def pack_stock(site: Site, *, today: date | None = None) -> list[PackStock]:
    """Every active pack type of the site's food bank with the site's stock (four queries)."""
    return network_pack_stock(site.food_bank_id, sites=[site], today=today)[site.pk]


def network_pack_stock(
    food_bank_id: int, *, sites: list[Site], today: date | None = None
) -> dict[int, list[PackStock]]:
    """``pack_stock`` for several sites of one food bank at once (four queries whatever the number)."""
    today = today or timezone.localdate()
    pack_types = active_pack_types(food_bank_id)
    site_ids = [site.pk for site in sites]
    table: dict[int, dict[int | None, PackStock]] = {
        site_id: {pt.pk: PackStock(pack_type=pt) for pt in pack_types} for site_id in site_ids
    }
    for balance in Balance.objects.filter(site_id__in=site_ids, pack_type__isnull=False).only(
        "site_id", "pack_type_id", "best_before", "on_hand", "reserved"
    ):
        stock = table[balance.site_id].get(balance.pack_type_id)
        if stock is not None:
            _add_balance(stock, balance, today)
    for row in (
        RestockLine.objects.filter(
            shipment__to_site_id__in=site_ids, shipment__status=RestockShipment.Status.PACKED
        )
        .values("shipment__to_site_id", "pack_type_id")
        .annotate(sets=Sum("quantity"))
        .order_by()
    ):
        stock = table[row["shipment__to_site_id"]].get(row["pack_type_id"])
        if stock is not None:
            stock.in_transit = row["sets"]
    for level in ParLevel.objects.filter(site_id__in=site_ids):
        stock = table[level.site_id].get(level.pack_type_id)
        if stock is not None:
            stock.par = level.effective_on(today)
    return {site_id: list(cells.values()) for site_id, cells in table.items()}


def item_stock(site: Site, *, today: date | None = None) -> list[dict[str, Any]]:
    """Loose items at a site: per item, usable quantity, reserved, expired, earliest best-before."""
    today = today or timezone.localdate()
    out: dict[int | None, dict[str, Any]] = {}
    for balance in (
        Balance.objects.filter(site=site, item__isnull=False)
        .select_related("item")
        .order_by("item__name", "best_before")
    ):
        entry = out.setdefault(
            balance.item_id,
            {"item": balance.item, "quantity": 0, "reserved": 0, "expired": 0, "earliest_best_before": None},
        )
        entry["reserved"] += balance.reserved
        if balance.best_before is not None and balance.best_before < today:
            entry["expired"] += balance.on_hand
        elif balance.on_hand > 0:
            entry["quantity"] += balance.on_hand
            if balance.best_before and (
                entry["earliest_best_before"] is None or balance.best_before < entry["earliest_best_before"]
            ):
                entry["earliest_best_before"] = balance.best_before
    return [e for e in out.values() if e["quantity"] or e["reserved"] or e["expired"]]


def expiring_lots(site: Site, *, today: date, within_days: int) -> QuerySet[Balance]:
    return (
        Balance.objects.filter(site=site, best_before__lte=today + timedelta(days=within_days), on_hand__gt=0)
        .select_related("item", "pack_type")
        .order_by("best_before", "pk")
    )


def latest_expiry_report(site: Site) -> ExpiryReport | None:
    return ExpiryReport.objects.filter(site=site).order_by("-report_date").first()


def recent_handouts(site: Site, *, limit: int = 10) -> list[Handout]:
    return list(
        Handout.objects.filter(site=site)
        .prefetch_related(
            Prefetch("lines", queryset=HandoutLine.objects.select_related("pack_type"), to_attr="line_list")
        )
        .order_by("-occurred_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class MonthTally:
    """A window's handouts in one calendar month (Asia/Tokyo), voided ones excluded."""

    month: date  # its first day
    visits: int  # handouts logged
    sets: int  # sets handed out
    by_pack_type: tuple[tuple[str, int], ...]  # ((name, sets), ...) in the pack types' order


def month_tally(site: Site, *, today: date) -> MonthTally:
    """This month's handouts at ``site`` counted by when they happened (a late entry counts in the
    month it occurred, as in the reports). Two queries."""
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    window = {
        "site": site,
        "voided_at__isnull": True,
        "occurred_at__gte": datetime.combine(first, time.min, tzinfo=tz),
        "occurred_at__lt": datetime.combine(following, time.min, tzinfo=tz),
    }
    visits = Handout.objects.filter(**window).count()
    rows = (
        HandoutLine.objects.filter(**{f"handout__{k}": v for k, v in window.items()})
        .values("pack_type__name", "pack_type__sort_order", "pack_type__code")
        .annotate(n=Sum("quantity"))
        .order_by("pack_type__sort_order", "pack_type__code")
    )
    by_type = tuple((row["pack_type__name"], row["n"]) for row in rows)
    return MonthTally(month=first, visits=visits, sets=sum(n for _name, n in by_type), by_pack_type=by_type)


def handout_history(site: Site) -> QuerySet[Handout]:
    """Every handout of ``site``, newest first, with its lines (for a paged list)."""
    return (
        Handout.objects.filter(site=site)
        .prefetch_related(
            Prefetch("lines", queryset=HandoutLine.objects.select_related("pack_type"), to_attr="line_list")
        )
        .order_by("-occurred_at", "-pk")
    )


# --- For the shipping app -------------------------------------------------------------------------


def restock_shipments_ready_for_dispatch(food_bank_id: int) -> QuerySet[RestockShipment]:
    """Approved restock shipments not booked into a dispatch batch yet, oldest approval first, with
    their window (address for the label) and lines (pack type, sets). Shipping books each with
    ``inventory.services.mark_restock_booked``."""
    return (
        RestockShipment.objects.filter(food_bank_id=food_bank_id, status=RestockShipment.Status.APPROVED)
        .select_related("to_site", "to_site__organisation", "from_site")
        .prefetch_related("lines__pack_type")
        .order_by("approved_at", "pk")
    )


# --- Ledger checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerDifference:
    site_id: int
    item_id: int | None
    pack_type_id: int | None
    best_before: date | None
    lot_id: int | None
    balance: int  # on_hand + reserved (or reserved, for a reservation difference)
    ledger: int
    what: str = "stock"  # "stock": ledger sum; "reserved": open reservations

    def __str__(self) -> str:
        sku = f"item {self.item_id}" if self.item_id else f"pack type {self.pack_type_id}"
        label = "ledger" if self.what == "stock" else "open reservations"
        return (
            f"site {self.site_id} {sku} best-before {self.best_before or '-'} lot {self.lot_id or '-'}: "
            f"{'balance' if self.what == 'stock' else 'reserved'} {self.balance}, {label} {self.ledger}"
        )


# A lot: site, item or pack type, best-before date, lot id (docs/traceability.md).
LotKey = tuple[int, int | None, int | None, date | None, int | None]


def ledger_differences(*, food_bank_id: int | None = None) -> list[LedgerDifference]:
    """Every lot whose balance differs from its ledger sum, or whose ``reserved`` differs from its
    open reservations. Empty when the books are right (two grouped queries and a scan of balances)."""
    scope = Q(food_bank_id=food_bank_id) if food_bank_id else Q()
    fields = ("site_id", "item_id", "pack_type_id", "best_before", "lot_id")
    ledger: dict[LotKey, int] = {
        (row["site_id"], row["item_id"], row["pack_type_id"], row["best_before"], row["lot_id"]): row["total"]
        for row in StockMovement.objects.filter(scope)
        .values(*fields)
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    reserved: dict[LotKey, int] = {
        (
            row["reservation__site_id"],
            row["item_id"],
            row["pack_type_id"],
            row["best_before"],
            row["lot_id"],
        ): row["total"]
        for row in ReservationLine.objects.filter(
            reservation__state=Reservation.State.ACTIVE,
            **({"reservation__food_bank_id": food_bank_id} if food_bank_id else {}),
        )
        .values("reservation__site_id", "item_id", "pack_type_id", "best_before", "lot_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    differences = []
    seen = set()
    for row in Balance.objects.filter(scope).values(*fields, "on_hand", "reserved").order_by("pk").iterator():
        key: LotKey = (row["site_id"], row["item_id"], row["pack_type_id"], row["best_before"], row["lot_id"])
        seen.add(key)
        if row["on_hand"] + row["reserved"] != ledger.get(key, 0):
            differences.append(LedgerDifference(*key, row["on_hand"] + row["reserved"], ledger.get(key, 0)))
        if row["reserved"] != reserved.get(key, 0):
            differences.append(LedgerDifference(*key, row["reserved"], reserved.get(key, 0), what="reserved"))
    for key, total in ledger.items():
        if key not in seen and total != 0:
            differences.append(LedgerDifference(*key, 0, total))
    return differences
