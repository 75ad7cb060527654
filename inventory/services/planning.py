"""Nightly planning: holiday peaks raise par levels, restocks are proposed for windows under par,
and each site's expiry report is written.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from foodbank.models import Site

from .. import locks
from ..models import Balance, ExpiryReport, HandoutLine, PackType, ParLevel, RestockLine, RestockShipment
from .ledger import _sku_of
from .restock import cancel_restock, default_warehouse

logger = logging.getLogger(__name__)


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
    for level in locks.lock_par_levels(ParLevel.objects.filter(food_bank_id=food_bank_id)):
        wanted: tuple[int | None, date | None, str]
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
    active = ParLevel.objects.filter(food_bank_id=food_bank_id, site__active=True)
    levels = locks.lock_par_levels(active.select_related("site", "pack_type"))
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
    proposals = {s.to_site_id: s for s in locks.lock_proposed_restocks(food_bank_id)}
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


class ExpiryLine(TypedDict):
    """One lot in an ``ExpiryReport``'s ``lines`` (stored as JSON)."""

    kind: Literal["item", "pack_type"]
    sku: str
    name: str
    best_before: str  # ISO date
    quantity: int
    expired: bool


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
    lines: dict[int, list[ExpiryLine]] = defaultdict(list)
    for row in rows:
        if row.best_before is None:  # never: the query asks for a best-before date
            continue
        sku = _sku_of(row.item, row.pack_type)
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
