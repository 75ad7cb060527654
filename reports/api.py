"""Reports API: the monthly figures, the breakdowns and their CSV / Excel exports (coordinators).

A user who coordinates no food bank is refused (403); a coordinator naming a food bank they do not
coordinate gets 404. The platform-wide export (``scope=platform``) sums every food bank and shows
counts under 3 as "<3"; any coordinator may download it.
"""

from dataclasses import asdict

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.exports import csv_response

from . import selectors, tables
from . import serializers as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _FileRenderer(BaseRenderer):
    """Lets a client that asks for the file's type be served; the view returns the file itself."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if not isinstance(data, bytes) else data


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XlsxRenderer(_FileRenderer):
    media_type = XLSX
    format = "xlsx"


def _query(request, serializer_class) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data.setdefault("fiscal_year", selectors.current_fiscal_year())
    return data


def _food_bank(request, query: dict) -> int:
    if not selectors.may_read_platform(request.user):
        raise PermissionDenied()
    food_bank_id = selectors.report_food_bank(request.user, query.get("food_bank"))
    if food_bank_id is None:
        raise NotFound()
    return food_bank_id


def _tables(request, query: dict) -> tuple[list[tables.Table], str]:
    """The export's tables and the file name's stem."""
    year = query["fiscal_year"]
    if query.get("scope") == "platform":
        if not selectors.may_read_platform(request.user):
            raise PermissionDenied()
        ids, stem = None, f"platform-report-FY{year}"
    else:
        food_bank_id = _food_bank(request, query)
        ids, stem = [food_bank_id], f"report-FY{year}"
    report = selectors.monthly_report(ids, year)
    found = tables.all_tables(report, selectors.breakdowns(ids, year), platform=ids is None)
    return found, stem


@extend_schema(tags=["reports"], parameters=[s.ReportQuery], responses=s.MonthlyReportSerializer)
class MonthlyReportView(APIView):
    """Twelve months (April–March) of your food bank's figures, each beside the same month of the
    previous fiscal year. Counting rules: docs/reports.md."""

    def get(self, request):
        query = _query(request, s.ReportQuery)
        food_bank_id = _food_bank(request, query)
        report = selectors.monthly_report([food_bank_id], query["fiscal_year"])
        return Response(s.MonthlyReportSerializer({**report, "food_bank": food_bank_id}).data)


@extend_schema(tags=["reports"], parameters=[s.ReportQuery], responses=s.BreakdownsSerializer)
class BreakdownsView(APIView):
    """The fiscal year by household type, situation, regional bureau and municipality, the Navi
    applicants' answers, and kilograms received and sent by month."""

    def get(self, request):
        query = _query(request, s.ReportQuery)
        food_bank_id = _food_bank(request, query)
        result = selectors.breakdowns([food_bank_id], query["fiscal_year"])
        data = {"fiscal_year": query["fiscal_year"], "food_bank": food_bank_id, **asdict(result)}
        return Response(s.BreakdownsSerializer(data).data)


@extend_schema(
    tags=["reports"],
    parameters=[s.ExportQuery],
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="One table as CSV.")},
)
class CsvExportView(APIView):
    """One table of the report as CSV (UTF-8 with BOM, CRLF)."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    def get(self, request):
        query = _query(request, s.ExportQuery)
        found, stem = _tables(request, query)
        table = next(t for t in found if t.name == query["table"])
        return csv_response(tables.csv_rows(table), f"{stem}-{table.name}.csv")


@extend_schema(
    tags=["reports"],
    parameters=[s.ExportQuery],
    responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="Every table, one sheet each.")},
)
class XlsxExportView(APIView):
    """Every table of the report as an Excel workbook (``table`` is ignored)."""

    renderer_classes = [JSONRenderer, XlsxRenderer]

    def get(self, request):
        query = _query(request, s.ExportQuery)
        found, stem = _tables(request, query)
        response = HttpResponse(tables.xlsx_bytes(found), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        response["Cache-Control"] = "no-store"
        return response
