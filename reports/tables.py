"""The report as tables, and the tables as CSV and Excel files.

Every table the report page shows is one ``Table`` here, so the page, the CSV files and the Excel
workbook (one sheet per table) carry the same numbers. Platform-wide tables pass through
``suppress``: a count of 1 or 2 becomes "<3", and a share computed from one becomes empty.
"""

import io
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from inventory.models import DonationReceipt

from .selectors import MONTHLY_FIELDS, Breakdowns, MonthlyReport, Tonnage

SUPPRESSED = "<3"
SMALLEST_SHOWN = 3

TABLE_NAMES = (
    "monthly",
    "household_types",
    "situations",
    "regional_bureaus",
    "municipalities",
    "navi",
    "kilograms",
    "tonnage",
)


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list]
    # Columns holding counts of people's visits or parcels (suppressed in platform-wide tables).
    count_columns: set[int] = field(default_factory=set)
    # Columns holding shares, and the count columns each share is computed from.
    share_columns: dict[int, tuple[int, ...]] = field(default_factory=dict)


def figure_labels() -> dict[str, str]:
    return {
        "agency_parcels": _("Parcels requested by partner agencies"),
        "navi_parcels": _("Parcels requested through the Navi"),
        "window_sets_shipped": _("Window sets shipped to windows"),
        "window_handouts": _("Sets handed out at windows"),
        "window_visits": _("Handouts logged at windows"),
        "pantry_backup": _("Pantry backup shipments"),
    }


def monthly_table(report: MonthlyReport, *, with_totals: bool = True) -> Table:
    labels = figure_labels()
    headers = [_("Month")]
    for key in MONTHLY_FIELDS:
        headers += [labels[key], _("%(figure)s (previous year)") % {"figure": labels[key]}]
    rows = []
    for month in report["months"]:
        row: list[str | int] = [month["month"]]
        for key in MONTHLY_FIELDS:
            row += [month[key], month["previous"][key]]
        rows.append(row)
    if with_totals:
        totals = report["totals"]
        row = [pgettext("table row", "Total")]
        for key in MONTHLY_FIELDS:
            row += [totals[key], totals["previous"][key]]
        rows.append(row)
    return Table(
        "monthly",
        _("Monthly figures, fiscal year %(year)s") % {"year": report["fiscal_year"]},
        headers,
        rows,
        count_columns=set(range(1, len(headers))),
    )


def breakdown_tables(b: Breakdowns) -> list[Table]:
    visits, sets, parcels = _("Handouts logged"), _("Sets handed out"), _("Parcels shipped")
    navi = b.navi
    return [
        Table(
            "household_types",
            _("Household types"),
            [_("Code"), _("Household type"), visits, sets, parcels],
            [
                [r["code"], r["label"], r["window_visits"], r["window_handouts"], r["parcels"]]
                for r in b.household_types
            ],
            count_columns={2, 3, 4},
        ),
        Table(
            "situations",
            _("Situations (home parcels)"),
            [_("Code"), _("Situation"), parcels],
            [[r["code"], r["label"], r["parcels"]] for r in b.situations],
            count_columns={2},
        ),
        Table(
            "regional_bureaus",
            _("Regional bureaus"),
            [_("Code"), _("Regional bureau"), visits, sets, parcels],
            [
                [
                    r["code"],
                    r["label"] or _("Unknown"),
                    r["window_visits"],
                    r["window_handouts"],
                    r["parcels"],
                ]
                for r in b.regional_bureaus
            ],
            count_columns={2, 3, 4},
        ),
        Table(
            "municipalities",
            _("Municipalities"),
            [_("Regional bureau"), _("Municipality"), visits, sets, parcels],
            [
                [
                    r["regional_bureau"],
                    r["municipality"] or _("Unknown"),
                    r["window_visits"],
                    r["window_handouts"],
                    r["parcels"],
                ]
                for r in b.municipalities
            ],
            count_columns={2, 3, 4},
        ),
        Table(
            "navi",
            _("Navi applicants"),
            [_("Answer"), _("Applicants"), _("Answered"), _("Share")],
            [
                [
                    _("First time at a food bank"),
                    navi["first_time"],
                    navi["first_time_answered"],
                    navi["first_time_share"],
                ],
                [
                    _("Nobody to consult"),
                    navi["nobody_to_consult"],
                    navi["consult_answered"],
                    navi["nobody_to_consult_share"],
                ],
                [
                    _("Wants details passed to a support agency"),
                    navi["wants_referral"],
                    navi["applicants"],
                    navi["wants_referral_share"],
                ],
            ],
            count_columns={1, 2},
            share_columns={3: (1, 2)},
        ),
        Table(
            "kilograms",
            _("Kilograms received and sent"),
            [_("Month"), _("Received (kg)"), _("Sent (kg, estimate)")],
            [[r["month"], r["received_kg"], r["sent_kg"]] for r in b.kilograms],
        ),
        _tonnage_table(b.tonnage),
    ]


def _tonnage_table(t: Tonnage) -> Table:
    """Kilograms received by month and donor kind, the fiscal year's total, and the certification
    threshold (100 t a year) beside it."""
    kinds = list(DonationReceipt.DonorType)
    rows = [[m["month"], *(m["by_kind"][k.value] for k in kinds), m["total_kg"]] for m in t.get("months", [])]
    if t:
        rows.append([_("Fiscal year"), *(t["by_kind"][k.value] for k in kinds), t["total_kg"]])
        rows.append([_("Certification threshold (100 t)"), *([None] * len(kinds)), t["threshold_kg"]])
    return Table(
        "tonnage",
        _("Tonnage received by donor kind (kg)"),
        [_("Month"), *(str(k.label) for k in kinds), _("Total (kg)")],
        rows,
    )


def all_tables(report: MonthlyReport, b: Breakdowns, *, platform: bool = False) -> list[Table]:
    tables = [monthly_table(report, with_totals=not platform), *breakdown_tables(b)]
    return [suppress(t) for t in tables] if platform else tables


def _small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALLEST_SHOWN


def suppress(table: Table) -> Table:
    """Counts of 1 or 2 shown as "<3"; a share whose counts include one is left empty."""
    rows = []
    for row in table.rows:
        new = list(row)
        for col, sources in table.share_columns.items():
            if any(_small(row[c]) for c in sources):
                new[col] = None
        for col in table.count_columns:
            if _small(row[col]):
                new[col] = SUPPRESSED
        rows.append(new)
    return replace(table, rows=rows)


def csv_rows(table: Table) -> list[list]:
    return [table.headers, *[[_plain(v) for v in row] for row in table.rows]]


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def xlsx_bytes(tables: list[Table]) -> bytes:
    """One sheet per table (named by the table's code), the header row bold and frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            # Text cells that look like formulas are written as text (openpyxl would store a formula).
            sheet.append([_xlsx_cell(v) for v in row])
        sheet.freeze_panes = "B3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value
