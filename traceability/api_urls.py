"""API routes of `traceability`, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("recalls/", api.RecallListCreateView.as_view(), name="api-recalls"),
    path("incidents/", api.IncidentListCreateView.as_view(), name="api-incidents"),
    path("recalls/trace/", api.TraceView.as_view(), name="api-recall-trace"),
    path("recalls/<int:pk>/", api.RecallDetailView.as_view(), name="api-recall-detail"),
    path("recalls/<int:pk>/report.pdf", api.RecallReportPdfView.as_view(), name="api-recall-report-pdf"),
    path("recalls/<int:pk>/report.csv", api.RecallReportCsvView.as_view(), name="api-recall-report-csv"),
    path(
        "donations/<int:pk>/receipt.pdf",
        api.DonationReceiptPdfView.as_view(),
        name="api-donation-receipt-pdf",
    ),
    path(
        "donors/<int:pk>/receipt.pdf", api.DonorMonthlyReceiptPdfView.as_view(), name="api-donor-receipt-pdf"
    ),
]
