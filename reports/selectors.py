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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TypedDict, get_args
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from foodbank import selectors as core
from foodbank.geo import RegionalBureau
from foodbank.models import HouseholdType, Organisation, Role, Site
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


# --- Facts ----------------------------------------------------------------------------------------

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


# --- The monthly report ---------------------------------------------------------------------------


class Figures(TypedDict):
    """The figures of a month or a fiscal year (``MONTHLY_FIELDS``)."""

    agency_parcels: int
    navi_parcels: int
    window_sets_shipped: int
    window_handouts: int
    window_visits: int
    pantry_backup: int


class MonthFigures(Figures):
    month: str  # YYYY-MM


class Month(MonthFigures):
    previous: MonthFigures  # the same month of the previous fiscal year


class Totals(Figures):
    previous: Figures  # the previous fiscal year's


class MonthlyReport(TypedDict):
    fiscal_year: int
    months: list[Month]
    totals: Totals


def _zeros() -> Figures:
    """Every figure at 0, in the order of ``MONTHLY_FIELDS``."""
    return {
        "agency_parcels": 0,
        "navi_parcels": 0,
        "window_sets_shipped": 0,
        "window_handouts": 0,
        "window_visits": 0,
        "pantry_backup": 0,
    }


def _monthly_rows(
    food_bank_ids: Iterable[int] | None, fiscal_year: int, cut: date | None
) -> dict[date, Figures]:
    """Figures of ``fiscal_year - 1`` and ``fiscal_year`` by month (24 months, zeros included)."""
    start, end = fiscal_year_start(fiscal_year - 1), fiscal_year_start(fiscal_year + 1)
    months = fiscal_months(fiscal_year - 1) + fiscal_months(fiscal_year)
    rows = {m: _zeros() for m in months}
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


def monthly_report(food_bank_ids: Iterable[int] | None, fiscal_year: int) -> MonthlyReport:
    """Twelve months of ``fiscal_year`` with the same month of the previous fiscal year beside each,
    and the year's totals. ``food_bank_ids`` None: every food bank (the platform-wide figures)."""
    cut = rolled_up_before()
    rows = _monthly_rows(food_bank_ids, fiscal_year, cut)
    months: list[Month] = []
    totals = _zeros()
    previous_totals = _zeros()
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


class CodedCounts(TypedDict):
    """A household type's or a regional bureau's year: handouts at windows and parcels shipped."""

    code: str
    label: str
    window_visits: int
    window_handouts: int
    parcels: int


class SituationCounts(TypedDict):
    code: str
    label: str
    parcels: int


class MunicipalityCounts(TypedDict):
    regional_bureau: str
    municipality: str
    window_visits: int
    window_handouts: int
    parcels: int


class NaviAnswers(TypedDict):
    applicants: int
    first_time: int
    first_time_answered: int
    nobody_to_consult: int
    consult_answered: int
    wants_referral: int
    first_time_share: float | None
    nobody_to_consult_share: float | None
    wants_referral_share: float | None


class MonthKilograms(TypedDict):
    month: str  # YYYY-MM
    received_kg: Decimal
    sent_kg: Decimal


class TonnageMonth(TypedDict):
    month: str  # YYYY-MM
    by_kind: dict[str, Decimal]  # donor kind (DonationReceipt.DonorType) -> kilograms
    total_kg: Decimal


class Tonnage(TypedDict):
    months: list[TonnageMonth]
    by_kind: dict[str, Decimal]
    total_kg: Decimal
    threshold_kg: Decimal
    over_threshold: bool


@dataclass
class Breakdowns:
    household_types: list[CodedCounts]
    situations: list[SituationCounts]
    regional_bureaus: list[CodedCounts]
    municipalities: list[MunicipalityCounts]
    navi: NaviAnswers
    kilograms: list[MonthKilograms]
    tonnage: Tonnage


def _rest(key: FactKey, index: int) -> Any:
    """A fact key without its month: the one dimension's value, or a tuple of them."""
    return key[index:] if len(key) > index + 1 else key[index]


def _collapse_pairs(facts: Mapping[FactKey, list[int]], index: int = 1) -> dict[Any, list[int]]:
    """Drop the month from fact keys, summing over the year."""
    out: dict[Any, list[int]] = {}
    for key, value in facts.items():
        acc = out.setdefault(_rest(key, index), [0] * len(value))
        for i, v in enumerate(value):
            acc[i] += v
    return out


def _collapse_counts(facts: Mapping[FactKey, int], index: int = 1) -> dict[Any, int]:
    """Drop the month from fact keys, summing over the year."""
    out: dict[Any, int] = {}
    for key, value in facts.items():
        rest = _rest(key, index)
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


def navi_answers(food_bank_ids: Iterable[int] | None, start: date, end: date) -> NaviAnswers:
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
    return {
        "applicants": figures["applicants"],
        "first_time": figures["first_time"],
        "first_time_answered": figures["first_time_answered"],
        "nobody_to_consult": figures["nobody_to_consult"],
        "consult_answered": figures["consult_answered"],
        "wants_referral": figures["wants_referral"],
        "first_time_share": _share(figures["first_time"], figures["first_time_answered"]),
        "nobody_to_consult_share": _share(figures["nobody_to_consult"], figures["consult_answered"]),
        "wants_referral_share": _share(figures["wants_referral"], figures["applicants"]),
    }


def kilograms(
    food_bank_ids: Iterable[int] | None, fiscal_year: int, cut: date | None
) -> list[MonthKilograms]:
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
        home_pack = home.get(food_bank_id)
        sent[month] += n * (Decimal(0) if home_pack is None else weights.get(home_pack, Decimal(0)))
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


def tonnage(food_bank_ids: Iterable[int] | None, fiscal_year: int) -> Tonnage:
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
    months: list[TonnageMonth] = []
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

    def facts(dims: tuple[str, ...]) -> tuple[dict[Any, list[int]], dict[Any, int]]:
        return (
            _collapse_pairs(handout_facts(food_bank_ids, start, end, dims, cut=cut)),
            _collapse_counts(parcel_facts(food_bank_ids, start, end, dims, cut=cut)),
        )

    household_types: list[CodedCounts] = []
    handouts, parcels = facts(("household_type",))
    # A handout's household may be "not recorded": its own category, never folded into another.
    unknown = HandoutHouseholdType.UNKNOWN
    for code, label in [*HouseholdType.choices, (unknown.value, unknown.label)]:
        visits, sets = handouts.get(code, [0, 0])
        household_types.append(
            {
                "code": code,
                "label": str(label),
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get(code, 0),
            }
        )
    situations: list[SituationCounts] = []
    parcels = _collapse_counts(parcel_facts(food_bank_ids, start, end, ("situation_category",), cut=cut))
    for code, label in SituationCategory.choices:
        situations.append({"code": code, "label": str(label), "parcels": parcels.get(code, 0)})
    regional_bureaus: list[CodedCounts] = []
    handouts, parcels = facts(("regional_bureau",))
    for code, bureau_label in [*RegionalBureau.choices, ("", "")]:
        visits, sets = handouts.get(code, [0, 0])
        if code == "" and not (visits or parcels.get(code)):
            continue
        regional_bureaus.append(
            {
                "code": code,
                "label": str(bureau_label),
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get(code, 0),
            }
        )
    municipalities: list[MunicipalityCounts] = []
    handouts, parcels = facts(("regional_bureau", "municipality"))
    for bureau, municipality in sorted(set(handouts) | set(parcels)):
        visits, sets = handouts.get((bureau, municipality), [0, 0])
        municipalities.append(
            {
                "regional_bureau": bureau,
                "municipality": municipality,
                "window_visits": visits,
                "window_handouts": sets,
                "parcels": parcels.get((bureau, municipality), 0),
            }
        )
    return Breakdowns(
        household_types=household_types,
        situations=situations,
        regional_bureaus=regional_bureaus,
        municipalities=municipalities,
        navi=navi_answers(food_bank_ids, start, end),
        kilograms=kilograms(food_bank_ids, fiscal_year, cut),
        tonnage=tonnage(food_bank_ids, fiscal_year),
    )


# --- Open data ------------------------------------------------------------------------------------


def open_windows() -> QuerySet[Site]:
    """The public directory: every food bank's publishable windows (never a confidential one)."""
    return (
        core.publishable_sites()
        .select_related("organisation", "food_bank")
        .order_by("municipality_code", "municipality", "name", "pk")
    )


def food_bank_name(food_bank_id: int) -> str:
    return Organisation.objects.filter(pk=food_bank_id).values_list("name", flat=True).first() or ""
