"""Page routes of `reports`, mounted at the site root."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report, name="report"),
    path("open-data/windows.csv", views.windows_csv, name="open-windows-csv"),
    path("open-data/windows.json", views.windows_schema, name="open-windows-schema"),
]
