"""Reads behind the reports: exact figures by month of the Japanese fiscal year (April–March).

Every figure counts whole days in Asia/Tokyo. Whole days before ``RollupState.complete_before`` are
read from the daily roll-up (``reports.models``); later days are computed live from the source
tables, so a report is exact even between refreshes. The counting rules are in docs/reports.md.

Who may read what is decided here (``report_food_bank``): a coordinator reads their own food bank's
report; the platform-wide figures (every food bank, small counts suppressed) are open to any
coordinator.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from foodbank import selectors as core
from foodbank.geo import RegionalBureau
from foodbank.models import HouseholdType, Organisation, Role
from foodbank.types import Actor
from inventory.models import (
    DonationReceipt,
    Handout,
    HandoutHouseholdType,
    HandoutLine,
    PackRecipeLine,
    PackType,
    RestockLine,
)
from referrals.models import DeliveryRequest, NaviApplication, SituationCategory
from shipping.models import Parcel

from .models import HandoutDay, ParcelDay, RollupState

logger = logging.getLogger(__name__)

MONTHLY_FIELDS = (
    "agency_parcels",
    "navi_parcels",
    "window_sets_shipped",
    "window_handouts",
    "window_visits",
    "pantry_backup",
)

# Which delivery-request source counts under which monthly figure. The monthly programme's
# parcels are requested by partner agencies (they enrol the households), so they are agency parcels.
PARCEL_SOURCE_FIGURE = {
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


# --- Scope ----------------------------------------------------------------------------------------


def report_food_bank(user: Actor, requested: int | None = None) -> int | None:
    """The food bank whose report ``user`` reads: the one they coordinate (or the one of those they
    name). ``None`` when the user coordinates no food bank (or not the one named)."""
    ids = core.food_bank_ids(user, Role.COORDINATOR)
    if requested is not None:
        return requested if requested in ids else None
    return min(ids) if ids else None


def may_read_platform(user: Actor) -> bool:
    return core.has_role(user, Role.COORDINATOR)


# --- Calendar -------------------------------------------------------------------------------------


def tokyo():
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


def _month_key(value) -> date:
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


# --- Facts ----------------------------------------------------------------------------------------


def handout_facts(
    food_bank_ids: Iterable[int] | None, start: date, end: date, dims: tuple[str, ...] = (), *, cut=None
) -> dict[tuple, list[int]]:
    """``{(month, *dims): [visits, sets]}`` for handouts on days [start, end), voided ones excluded."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
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
            acc = out[(_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))]
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
        for row in visits:
            out[(_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))][0] += row["n"]
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
        for row in sets:
            out[(_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))][1] += row["n"]
    return out


def parcel_facts(
    food_bank_ids: Iterable[int] | None, start: date, end: date, dims: tuple[str, ...] = (), *, cut=None
) -> dict[tuple, int]:
    """``{(month, *dims): parcels}`` for home parcels shipped on days [start, end)."""
    out: dict[tuple, int] = defaultdict(int)
    rolled, live = _split(start, end, cut)
    if rolled:
        rows = (
            ParcelDay.objects.filter(_fb_filter(food_bank_ids), day__gte=rolled[0], day__lt=rolled[1])
            .values(m=TruncMonth("day"), **{f"d_{d}": F(PARCEL_ROLLUP_DIMS[d]) for d in dims})
            .annotate(n=Sum("parcels"))
            .order_by()
        )
        for row in rows:
            out[(_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))] += row["n"]
    if live:
        rows = (
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
        for row in rows:
            out[(_month_key(row["m"]), *(row[f"d_{d}"] for d in dims))] += row["n"]
    return out


def restock_sets(food_bank_ids: Iterable[int] | None, start: date, end: date) -> dict[tuple, int]:
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
    out: dict[tuple, int] = defaultdict(int)
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


# --- The monthly report ---------------------------------------------------------------------------


def _monthly_rows(food_bank_ids, fiscal_year: int, cut) -> dict[date, dict[str, int]]:
    """Figures of ``fiscal_year - 1`` and ``fiscal_year`` by month (24 months, zeros included)."""
    start, end = fiscal_year_start(fiscal_year - 1), fiscal_year_start(fiscal_year + 1)
    months = fiscal_months(fiscal_year - 1) + fiscal_months(fiscal_year)
    rows = {m: dict.fromkeys(MONTHLY_FIELDS, 0) for m in months}
    for (month,), (visits, sets) in handout_facts(food_bank_ids, start, end, cut=cut).items():
        rows[month]["window_visits"] += visits
        rows[month]["window_handouts"] += sets
    for (month, source), n in parcel_facts(food_bank_ids, start, end, ("source",), cut=cut).items():
        rows[month][PARCEL_SOURCE_FIGURE[source]] += n
    for (month, _pack_type), n in restock_sets(food_bank_ids, start, end).items():
        rows[month]["window_sets_shipped"] += n
    for month, n in pantry_backup(food_bank_ids, start, end).items():
        rows[month]["pantry_backup"] += n
    return rows


def monthly_report(food_bank_ids: Iterable[int] | None, fiscal_year: int) -> dict:
    """Twelve months of ``fiscal_year`` with the same month of the previous fiscal year beside each,
    and the year's totals. ``food_bank_ids`` None: every food bank (the platform-wide figures)."""
    cut = rolled_up_before()
    rows = _monthly_rows(food_bank_ids, fiscal_year, cut)
    months = []
    totals = dict.fromkeys(MONTHLY_FIELDS, 0)
    previous_totals = dict.fromkeys(MONTHLY_FIELDS, 0)
    for month in fiscal_months(fiscal_year):
        before = month.replace(year=month.year - 1)
        for key in MONTHLY_FIELDS:
            totals[key] += rows[month][key]
            previous_totals[key] += rows[before][key]
        months.append(
            {
                "month": month.strftime("%Y-%m"),
                **rows[month],
                "previous": {"month": before.strftime("%Y-%m"), **rows[before]},
            }
        )
    return {
        "fiscal_year": fiscal_year,
        "months": months,
        "totals": {**totals, "previous": previous_totals},
    }


# --- Breakdowns -----------------------------------------------------------------------------------


@dataclass
class Breakdowns:
    household_types: list[dict] = field(default_factory=list)
    situations: list[dict] = field(default_factory=list)
    regional_bureaus: list[dict] = field(default_factory=list)
    municipalities: list[dict] = field(default_factory=list)
    navi: dict = field(default_factory=dict)
    kilograms: list[dict] = field(default_factory=list)
    tonnage: dict = field(default_factory=dict)


def _collapse(facts: dict[tuple, object], index: int = 1) -> dict:
    """Drop the month from fact keys, summing over the year."""
    out: dict = {}
    for key, value in facts.items():
        rest = key[index:] if len(key) > index + 1 else key[index]
        if isinstance(value, list):
            acc = out.setdefault(rest, [0] * len(value))
            for i, v in enumerate(value):
                acc[i] += v
        else:
            out[rest] = out.get(rest, 0) + value
    return out


def pack_weights(food_bank_ids: Iterable[int] | None) -> dict[int, Decimal]:
    """Kilograms per pack type: its newest recipe's items × their unit weights."""
    newest: dict[int, int] = {}
    weights: dict[int, Decimal] = defaultdict(Decimal)
    lines = PackRecipeLine.objects.filter(_fb_filter(food_bank_ids, "recipe__pack_type__")).values_list(
        "recipe__pack_type_id", "recipe__version", "quantity", "item__weight_kg"
    )
    rows = list(lines)
    for pack_type_id, version, _quantity, _weight in rows:
        newest[pack_type_id] = max(version, newest.get(pack_type_id, version))
    for pack_type_id, version, quantity, weight in rows:
        if version == newest[pack_type_id]:
            weights[pack_type_id] += quantity * weight
    return dict(weights)


def home_pack_ids(food_bank_ids: Iterable[int] | None) -> dict[int, int]:
    """``{food_bank_id: pack type id}`` of each food bank's home parcel (code ``home``)."""
    return dict(
        PackType.objects.filter(_fb_filter(food_bank_ids), code=PackType.Code.HOME).values_list(
            "food_bank_id", "pk"
        )
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def navi_answers(food_bank_ids: Iterable[int] | None, start: date, end: date) -> dict:
    """Answers of the Navi applicants received in [start, end). Shares are of those who answered."""
    figures = NaviApplication.objects.filter(
        _fb_filter(food_bank_ids), received_at__gte=midnight(start), received_at__lt=midnight(end)
    ).aggregate(
        applicants=Count("pk"),
        first_time=Count("pk", filter=Q(first_time_at_food_bank=True)),
        first_time_answered=Count("pk", filter=Q(first_time_at_food_bank__isnull=False)),
        nobody_to_consult=Count("pk", filter=Q(has_someone_to_consult=False)),
        consult_answered=Count("pk", filter=Q(has_someone_to_consult__isnull=False)),
        wants_referral=Count("pk", filter=Q(wants_referral=True)),
    )
    figures["first_time_share"] = _share(figures["first_time"], figures["first_time_answered"])
    figures["nobody_to_consult_share"] = _share(figures["nobody_to_consult"], figures["consult_answered"])
    figures["wants_referral_share"] = _share(figures["wants_referral"], figures["applicants"])
    return figures


def kilograms(food_bank_ids: Iterable[int] | None, fiscal_year: int, cut) -> list[dict]:
    """Kilograms received (donation receipts, as weighed) and sent (an estimate: sets sent to
    windows and home parcels shipped, each weighed by its pack type's newest recipe) by month."""
    start, end = fiscal_year_start(fiscal_year), fiscal_year_start(fiscal_year + 1)
    months = fiscal_months(fiscal_year)
    received: dict[date, Decimal] = defaultdict(Decimal)
    for row in (
        DonationReceipt.objects.filter(
            _fb_filter(food_bank_ids), received_at__gte=midnight(start), received_at__lt=midnight(end)
        )
        .values(m=TruncMonth("received_at", tzinfo=tokyo()))
        .annotate(kg=Sum("weight_kg"))
        .order_by()
    ):
        received[_month_key(row["m"])] += row["kg"]
    weights = pack_weights(food_bank_ids)
    sent: dict[date, Decimal] = defaultdict(Decimal)
    for (month, pack_type_id), n in restock_sets(food_bank_ids, start, end).items():
        sent[month] += n * weights.get(pack_type_id, Decimal(0))
    home = home_pack_ids(food_bank_ids)
    for (month, food_bank_id), n in parcel_facts(food_bank_ids, start, end, ("food_bank",), cut=cut).items():
        sent[month] += n * weights.get(home.get(food_bank_id), Decimal(0))
    return [
        {
            "month": m.strftime("%Y-%m"),
            "received_kg": received[m].quantize(Decimal("0.01")),
            "sent_kg": sent[m].quantize(Decimal("0.01")),
        }
        for m in months
    ]


# The national food bank certification (from 2026-04) applies first to food banks handling more
# than 100 t a year (docs/traceability.md).
CERTIFICATION_THRESHOLD_KG = Decimal(100_000)


def tonnage(food_bank_ids: Iterable[int] | None, fiscal_year: int) -> dict:
    """Kilograms received by month and donor kind over the fiscal year (one grouped query), the
    year's total, and the total against the certification threshold."""
    start, end = fiscal_year_start(fiscal_year), fiscal_year_start(fiscal_year + 1)
    kinds = list(DonationReceipt.DonorType.values)
    by_month: dict[date, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(kinds, Decimal(0)))
    for row in (
        DonationReceipt.objects.filter(
            _fb_filter(food_bank_ids), received_at__gte=midnight(start), received_at__lt=midnight(end)
        )
        .values("donor_type", m=TruncMonth("received_at", tzinfo=tokyo()))
        .annotate(kg=Sum("weight_kg"))
        .order_by()
    ):
        by_month[_month_key(row["m"])][row["donor_type"]] += row["kg"]
    months = []
    year = dict.fromkeys(kinds, Decimal(0))
    for m in fiscal_months(fiscal_year):
        figures = by_month[m]
        for kind in kinds:
            year[kind] += figures[kind]
        months.append(
            {
                "month": m.strftime("%Y-%m"),
                "by_kind": {k: v.quantize(Decimal("0.01")) for k, v in figures.items()},
                "total_kg": sum(figures.values(), Decimal(0)).quantize(Decimal("0.01")),
            }
        )
    total = sum(year.values(), Decimal(0))
    return {
        "months": months,
        "by_kind": {k: v.quantize(Decimal("0.01")) for k, v in year.items()},
        "total_kg": total.quantize(Decimal("0.01")),
        "threshold_kg": CERTIFICATION_THRESHOLD_KG,
        "over_threshold": total > CERTIFICATION_THRESHOLD_KG,
    }


def breakdowns(food_bank_ids: Iterable[int] | None, fiscal_year: int) -> Breakdowns:
    """The fiscal year's totals by household type, situation, regional bureau and municipality
    (handouts by the window's place, parcels by the recipient's), the Navi applicants' answers and
    the kilograms in and out by month."""
    cut = rolled_up_before()
    start, end = fiscal_year_start(fiscal_year), fiscal_year_start(fiscal_year + 1)

    def facts(dims):
        return (
            _collapse(handout_facts(food_bank_ids, start, end, dims, cut=cut)),
            _collapse(parcel_facts(food_bank_ids, start, end, dims, cut=cut)),
        )

    result = Breakdowns()
    handouts, parcels = facts(("household_type",))
    # A handout's household may be "not recorded": its own category, never folded into another.
    unknown = HandoutHouseholdType.UNKNOWN
    for code, label in [*HouseholdType.choices, (unknown.value, unknown.label)]:
        visits, sets = handouts.get(code, [0, 0])
        result.household_types.append(
            {
                "code": code,
                "label": str(label),
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get(code, 0),
            }
        )
    parcels = _collapse(parcel_facts(food_bank_ids, start, end, ("situation_category",), cut=cut))
    for code, label in SituationCategory.choices:
        result.situations.append({"code": code, "label": str(label), "parcels": parcels.get(code, 0)})
    handouts, parcels = facts(("regional_bureau",))
    for code, label in [*RegionalBureau.choices, ("", "")]:
        visits, sets = handouts.get(code, [0, 0])
        if code == "" and not (visits or parcels.get(code)):
            continue
        result.regional_bureaus.append(
            {
                "code": code,
                "label": str(label),
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get(code, 0),
            }
        )
    handouts, parcels = facts(("regional_bureau", "municipality"))
    for bureau, municipality in sorted(set(handouts) | set(parcels)):
        visits, sets = handouts.get((bureau, municipality), [0, 0])
        result.municipalities.append(
            {
                "regional_bureau": bureau,
                "municipality": municipality,
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get((bureau, municipality), 0),
            }
        )
    result.navi = navi_answers(food_bank_ids, start, end)
    result.kilograms = kilograms(food_bank_ids, fiscal_year, cut)
    result.tonnage = tonnage(food_bank_ids, fiscal_year)
    return result


# --- Open data ------------------------------------------------------------------------------------


def open_windows():
    """The public directory: every food bank's publishable windows (never a confidential one)."""
    return (
        core.publishable_sites()
        .select_related("organisation", "food_bank")
        .order_by("municipality_code", "municipality", "name", "pk")
    )


def food_bank_name(food_bank_id: int) -> str:
    return Organisation.objects.filter(pk=food_bank_id).values_list("name", flat=True).first() or ""
