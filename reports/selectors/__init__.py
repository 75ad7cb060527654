"""Reads behind the reports: exact figures by month of the Japanese fiscal year (April–March).

Every figure counts whole days in Asia/Tokyo. Whole days before ``RollupState.complete_before`` are
read from the daily roll-up (``reports.models``); later days are computed live from the source
tables, so a report is exact even between refreshes. The counting rules are in docs/reports.md.

Who may read what is decided here (``report_food_bank``): a coordinator reads their own food bank's
report; the platform-wide figures (every food bank, small counts suppressed) are open to any
coordinator.

One module per part: ``_common`` (figures, scope, calendar, facts), ``monthly``, ``breakdowns``,
``open_data``. Every public name is re-exported here.
"""

from ._common import (
    HANDOUT_DIMS,
    MONTHLY_FIELDS,
    PARCEL_LIVE_DIMS,
    PARCEL_ROLLUP_DIMS,
    PARCEL_SOURCE_FIGURE,
    FactKey,
    Figure,
    current_fiscal_year,
    fiscal_months,
    fiscal_year_of,
    fiscal_year_start,
    handout_facts,
    may_read_platform,
    midnight,
    pantry_backup,
    parcel_facts,
    report_food_bank,
    restock_sets,
    rolled_up_before,
    tokyo,
)
from .breakdowns import (
    CERTIFICATION_THRESHOLD_KG,
    Breakdowns,
    CodedCounts,
    MonthKilograms,
    MunicipalityCounts,
    NaviAnswers,
    SituationCounts,
    Tonnage,
    TonnageMonth,
    breakdowns,
    home_pack_ids,
    kilograms,
    navi_answers,
    pack_weights,
    tonnage,
)
from .monthly import Figures, Month, MonthFigures, MonthlyReport, Totals, monthly_report
from .open_data import food_bank_name, open_windows

__all__ = [
    "CERTIFICATION_THRESHOLD_KG",
    "HANDOUT_DIMS",
    "MONTHLY_FIELDS",
    "PARCEL_LIVE_DIMS",
    "PARCEL_ROLLUP_DIMS",
    "PARCEL_SOURCE_FIGURE",
    "Breakdowns",
    "CodedCounts",
    "FactKey",
    "Figure",
    "Figures",
    "Month",
    "MonthFigures",
    "MonthKilograms",
    "MonthlyReport",
    "MunicipalityCounts",
    "NaviAnswers",
    "SituationCounts",
    "Tonnage",
    "TonnageMonth",
    "Totals",
    "breakdowns",
    "current_fiscal_year",
    "fiscal_months",
    "fiscal_year_of",
    "fiscal_year_start",
    "food_bank_name",
    "handout_facts",
    "home_pack_ids",
    "kilograms",
    "may_read_platform",
    "midnight",
    "monthly_report",
    "navi_answers",
    "open_windows",
    "pack_weights",
    "pantry_backup",
    "parcel_facts",
    "report_food_bank",
    "restock_sets",
    "rolled_up_before",
    "tokyo",
    "tonnage",
]
