"""Page routes of `reports`, mounted at the site root."""

from django.urls import path

from . import platform_views, views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report, name="report"),
    path("reports/platform/", platform_views.platform_view, name="platform"),
    path("open-data/windows.csv", views.windows_csv, name="open-windows-csv"),
    path("open-data/windows.json", views.windows_schema, name="open-windows-schema"),
]
