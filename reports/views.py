"""Pages of the reports app: the coordinators' report page, and the public open-data directory."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from foodbank.exports import csv_response

from . import charts, opendata, selectors, tables


def _fiscal_year(request) -> int:
    raw = request.GET.get("fiscal_year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return selectors.current_fiscal_year()


@login_required
@require_GET
def report(request):
    """The food bank's fiscal year: charts of the monthly figures beside last year, every table,
    and links to the CSV and Excel files."""
    if not selectors.may_read_platform(request.user):
        raise PermissionDenied
    requested = request.GET.get("food_bank", "")
    food_bank_id = selectors.report_food_bank(request.user, int(requested) if requested.isdigit() else None)
    if food_bank_id is None:
        raise Http404
    year = _fiscal_year(request)
    monthly = selectors.monthly_report([food_bank_id], year)
    found = tables.all_tables(monthly, selectors.breakdowns([food_bank_id], year))
    labels = tables.figure_labels()
    month_labels = [_("%(month)d月") % {"month": int(m["month"][5:])} for m in monthly["months"]]
    legend = (_("FY%(year)s") % {"year": year}, _("FY%(year)s") % {"year": year - 1})
    chart_list = []
    for key in ("window_handouts", "window_sets_shipped", "agency_parcels", "navi_parcels"):
        chart_list.append(
            {
                "title": labels[key],
                "svg": charts.month_bars(
                    title=labels[key],
                    labels=month_labels,
                    current=[m[key] for m in monthly["months"]],
                    previous=[m["previous"][key] for m in monthly["months"]],
                    legend=legend,
                ),
            }
        )
    query = f"?fiscal_year={year}&food_bank={food_bank_id}"
    return render(
        request,
        "reports/report.html",
        {
            "fiscal_year": year,
            "years": list(range(selectors.current_fiscal_year(), selectors.current_fiscal_year() - 6, -1)),
            "food_bank_name": selectors.food_bank_name(food_bank_id),
            "charts": chart_list,
            "tables": found,
            "csv_url": reverse("api-report-csv") + query,
            "xlsx_url": reverse("api-report-xlsx") + query,
            "platform_xlsx_url": reverse("api-report-xlsx") + f"?fiscal_year={year}&scope=platform",
        },
    )


@require_GET
@cache_control(public=True, max_age=3600)
def windows_csv(request):
    """Open data: the directory of windows holding emergency food (no login)."""
    response = csv_response(opendata.rows(), "emergency-food-windows.csv")
    # Public data: cacheable, unlike the exports that csv_response is made for.
    del response["Cache-Control"]
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def windows_schema(request):
    """The Frictionless Table Schema descriptor of the windows CSV."""
    body = json.dumps(
        opendata.descriptor(request.build_absolute_uri(reverse("reports:open-windows-csv"))),
        ensure_ascii=False,
        indent=2,
    )
    return HttpResponse(body, content_type="application/json")
