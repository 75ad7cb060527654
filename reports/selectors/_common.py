"""What the report reads share: the figures and dimensions, who may read which food bank's report, the
fiscal calendar in Asia/Tokyo, and the facts (roll-up before ``complete_before``, live after).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from foodbank import selectors as core
from foodbank.models import Role
from foodbank.types import Actor
from inventory.models import (
    Handout,
    HandoutLine,
    RestockLine,
)
from referrals.models import DeliveryRequest
from shipping.models import Parcel

from ..models import HandoutDay, ParcelDay, RollupState

Figure = Literal[
    "agency_parcels",
    "navi_parcels",
    "window_sets_shipped",
    "window_handouts",
    "window_visits",
    "pantry_backup",
]
MONTHLY_FIELDS: tuple[Figure, ...] = get_args(Figure)  # in the order of the tables

# Which delivery-request source counts under which monthly figure. The monthly programme's
# parcels are requested by partner agencies (they enrol the households), so they are agency parcels.
PARCEL_SOURCE_FIGURE: dict[str, Figure] = {
    DeliveryRequest.Source.AGENCY: "agency_parcels",
    DeliveryRequest.Source.PROGRAMME: "agency_parcels",
    DeliveryRequest.Source.NAVI: "navi_parcels",
}

# Dimension name -> path from HandoutDay / Handout (the same on both), and from ParcelDay /
# DeliveryRequest.
HANDOUT_DIMS = {
    "food_bank": "food_bank_id",
    "household_type": "household_type",
    "regional_bureau": "site__regional_bureau",
    "municipality": "site__municipality",
}
PARCEL_ROLLUP_DIMS = {
    "food_bank": "food_bank_id",
    "source": "source",
    "household_type": "household_type",
    "situation_category": "situation_category",
    "regional_bureau": "regional_bureau",
    "municipality": "municipality",
}
PARCEL_LIVE_DIMS = {
    "food_bank": "food_bank_id",
    "source": "source",
    "household_type": "recipient__household_type",
    "situation_category": "situation_category",
    "regional_bureau": "recipient__regional_bureau",
    "municipality": "recipient__municipality",
}


def report_food_bank(user: Actor, requested: int | None = None) -> int | None:
    """The food bank whose report ``user`` reads: the one they coordinate (or the one of those they
    name). ``None`` when the user coordinates no food bank (or not the one named)."""
    ids = core.food_bank_ids(user, Role.COORDINATOR)
    if requested is not None:
        return requested if requested in ids else None
    return min(ids) if ids else None


def may_read_platform(user: Actor) -> bool:
    return core.has_role(user, Role.COORDINATOR)


def tokyo() -> ZoneInfo:
    return timezone.get_default_timezone()


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def fiscal_year_start(fiscal_year: int) -> date:
    return date(fiscal_year, 4, 1)


def fiscal_months(fiscal_year: int) -> list[date]:
    """The first day of each month, April to March."""
    return [date(fiscal_year + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def midnight(day: date) -> datetime:
    """00:00 of ``day`` in Asia/Tokyo, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=tokyo())


def _month_key(value: date) -> date:
    """TruncMonth gives a date for a DateField and an aware datetime for a DateTimeField."""
    if isinstance(value, datetime):
        value = timezone.localtime(value, tokyo()).date()
    return value.replace(day=1)


def _fb_filter(food_bank_ids: Iterable[int] | None, prefix: str = "") -> Q:
    return Q() if food_bank_ids is None else Q(**{f"{prefix}food_bank_id__in": list(food_bank_ids)})


def rolled_up_before() -> date | None:
    """Days before this one are in the roll-up tables (None: nothing is rolled up)."""
    return RollupState.objects.filter(name="daily").values_list("complete_before", flat=True).first()


def _split(
    start: date, end: date, cut: date | None
) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """[start, end) as (the rolled-up part, the live part)."""
    if cut is None or cut <= start:
        return None, (start, end)
    if cut >= end:
        return (start, end), None
    return (start, cut), (cut, end)


# A fact's key: ``(month, *dimension values)``. The dimensions are chosen at run time (``dims``), so
# their values (food bank ids, codes) are typed as ``Any``, like the ``values()`` rows they come from.
FactKey = tuple[Any, ...]


def _fact_key(row: Mapping[str, Any], dims: tuple[str, ...]) -> FactKey:
    """The key of a ``values(m=..., d_<dim>=...)`` row (its ``d_`` keys are built at run time)."""
    return (_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))


def handout_facts(
    food_bank_ids: Iterable[int] | None,
    start: date,
    end: date,
    dims: tuple[str, ...] = (),
    *,
    cut: date | None = None,
) -> dict[FactKey, list[int]]:
    """``{(month, *dims): [visits, sets]}`` for handouts on days [start, end), voided ones excluded."""
    out: dict[FactKey, list[int]] = defaultdict(lambda: [0, 0])
    rolled, live = _split(start, end, cut)
    names = {f"d_{d}": F(HANDOUT_DIMS[d]) for d in dims}
    if rolled:
        rows = (
            HandoutDay.objects.filter(_fb_filter(food_bank_ids), day__gte=rolled[0], day__lt=rolled[1])
            .values(m=TruncMonth("day"), **names)
            .annotate(v=Sum("visits"), s=Sum("sets"))
            .order_by()
        )
        for row in rows:
            acc = out[_fact_key(row, dims)]
            acc[0] += row["v"]
            acc[1] += row["s"]
    if live:
        window = {
            "occurred_at__gte": midnight(live[0]),
            "occurred_at__lt": midnight(live[1]),
            "voided_at__isnull": True,
        }
        visits = (
            Handout.objects.filter(_fb_filter(food_bank_ids), **window)
            .values(m=TruncMonth("occurred_at", tzinfo=tokyo()), **names)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for visit in visits:
            out[_fact_key(visit, dims)][0] += visit["n"]
        sets = (
            HandoutLine.objects.filter(
                _fb_filter(food_bank_ids, "handout__"), **{f"handout__{k}": v for k, v in window.items()}
            )
            .values(
                m=TruncMonth("handout__occurred_at", tzinfo=tokyo()),
                **{f"d_{d}": F(f"handout__{HANDOUT_DIMS[d]}") for d in dims},
            )
            .annotate(n=Sum("quantity"))
            .order_by()
        )
        for line in sets:
            out[_fact_key(line, dims)][1] += line["n"]
    return out


def parcel_facts(
    food_bank_ids: Iterable[int] | None,
    start: date,
    end: date,
    dims: tuple[str, ...] = (),
    *,
    cut: date | None = None,
) -> dict[FactKey, int]:
    """``{(month, *dims): parcels}`` for home parcels shipped on days [start, end)."""
    out: dict[FactKey, int] = defaultdict(int)
    rolled, live = _split(start, end, cut)
    if rolled:
        days = (
            ParcelDay.objects.filter(_fb_filter(food_bank_ids), day__gte=rolled[0], day__lt=rolled[1])
            .values(m=TruncMonth("day"), **{f"d_{d}": F(PARCEL_ROLLUP_DIMS[d]) for d in dims})
            .annotate(n=Sum("parcels"))
            .order_by()
        )
        for day in days:
            out[_fact_key(day, dims)] += day["n"]
    if live:
        requests = (
            DeliveryRequest.objects.filter(
                _fb_filter(food_bank_ids), shipped_at__gte=midnight(live[0]), shipped_at__lt=midnight(live[1])
            )
            .values(
                m=TruncMonth("shipped_at", tzinfo=tokyo()),
                **{f"d_{d}": F(PARCEL_LIVE_DIMS[d]) for d in dims},
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        for request in requests:
            out[_fact_key(request, dims)] += request["n"]
    return out


def restock_sets(food_bank_ids: Iterable[int] | None, start: date, end: date) -> dict[tuple[date, int], int]:
    """``{(month, pack_type_id): sets}`` sent to windows, in the month the shipment left the
    warehouse (``packed_at``). A shipment is packed at most once and cannot be cancelled after."""
    rows = (
        RestockLine.objects.filter(
            _fb_filter(food_bank_ids, "shipment__"),
            shipment__packed_at__gte=midnight(start),
            shipment__packed_at__lt=midnight(end),
        )
        .values("pack_type_id", m=TruncMonth("shipment__packed_at", tzinfo=tokyo()))
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    out: dict[tuple[date, int], int] = defaultdict(int)
    for row in rows:
        out[(_month_key(row["m"]), row["pack_type_id"])] += row["n"]
    return out


def pantry_backup(food_bank_ids: Iterable[int] | None, start: date, end: date) -> dict[date, int]:
    """``{month: pantry shipments}`` that left the warehouse in [start, end).

    The one place the pantry figure comes from. The shipping app books each ``PantryShipment`` as a
    ``shipping.Parcel`` with ``source="pantry"``; a pantry shipment counts in the month its parcel
    was packed (whatever happened after: handed over, delivered), void parcels excluded. One query.
    """
    rows = (
        Parcel.objects.filter(
            _fb_filter(food_bank_ids),
            source=Parcel.Source.PANTRY,
            packed_at__gte=midnight(start),
            packed_at__lt=midnight(end),
        )
        .exclude(status=Parcel.Status.VOID)
        .values(m=TruncMonth("packed_at", tzinfo=tokyo()))
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[date, int] = defaultdict(int)
    for row in rows:
        out[_month_key(row["m"])] += row["n"]
    return out
