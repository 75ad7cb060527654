"""API routes of `reports`, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("reports/monthly/", api.MonthlyReportView.as_view(), name="api-report-monthly"),
    path("reports/breakdowns/", api.BreakdownsView.as_view(), name="api-report-breakdowns"),
    path("reports/export/csv/", api.CsvExportView.as_view(), name="api-report-csv"),
    path("reports/export/xlsx/", api.XlsxExportView.as_view(), name="api-report-xlsx"),
]
