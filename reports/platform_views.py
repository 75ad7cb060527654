"""The installation's platform view (``reports.platform``): the superuser or the network role."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import platform, selectors, tables


@login_required
@require_GET
def platform_view(request):
    if not platform.may_read(request.user):
        raise PermissionDenied
    raw = request.GET.get("fiscal_year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else selectors.current_fiscal_year()
    rows, network = platform.network_overview(year)
    labels = tables.figure_labels()
    fields = [(key, labels[key]) for key in selectors.MONTHLY_FIELDS]
    return render(
        request,
        "reports/platform.html",
        {
            "year": year,
            "fields": fields,
            "rows": [(row, [row.figures[k] for k, _label in fields]) for row in rows],
            "network": [network[k] for k, _label in fields],
        },
    )
