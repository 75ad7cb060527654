"""The breakdowns beside the monthly report: pack types, households, situations, municipalities, Navi
answers and tonnage (kg in and out, against the certification threshold).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from foodbank.geo import RegionalBureau
from foodbank.models import HouseholdType
from inventory.models import (
    DonationReceipt,
    HandoutHouseholdType,
    PackRecipeLine,
    PackType,
)
from referrals.models import NaviApplication, SituationCategory

from ._common import (
    FactKey,
    _fb_filter,
    _month_key,
    fiscal_months,
    fiscal_year_start,
    handout_facts,
    midnight,
    parcel_facts,
    restock_sets,
    rolled_up_before,
    tokyo,
)


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
