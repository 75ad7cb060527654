"""The monthly report: each figure by month of the fiscal year, with totals."""

from collections.abc import Iterable
from datetime import date
from typing import TypedDict

from ._common import (
    MONTHLY_FIELDS,
    PARCEL_SOURCE_FIGURE,
    fiscal_months,
    fiscal_year_start,
    handout_facts,
    pantry_backup,
    parcel_facts,
    restock_sets,
    rolled_up_before,
)


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
