from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import audit_views, health, views

# A database-connection error outside any view is 503, not 500 (foodbank.middleware).
handler500 = "foodbank.views.server_error"
# On /api/ these answer JSON {code, detail} too (foodbank.views).
handler400 = "foodbank.views.bad_request"
handler403 = "foodbank.views.permission_denied"
handler404 = "foodbank.views.not_found"

# Each app adds its API routes here under /api/v1/.
api_v1 = [
    path("", include("foodbank.api.urls")),
    path("", include("inventory.api_urls")),
    path("", include("referrals.api_urls")),
    path("", include("shipping.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("traceability.api_urls")),
    path("", include("webhooks.api_urls")),
]

urlpatterns = [
    # First: Django tries the patterns in order, and the API's requests are the busiest.
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/export.csv", audit_views.audit_log_export, name="audit-log-export"),
    path("audit/provisions/", audit_views.provision_records, name="provision-records"),
    path("console/", include("console.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Open Referral HSDS 3.0: anonymous, read-only (docs/directory.md).
    path("api/hsds/", include("directory.urls")),
    path("", include("inventory.urls")),
    path("", include("referrals.urls")),
    path("", include("shipping.urls")),
    path("", include("reports.urls")),
    path("", include("traceability.urls")),
    path("", include("webhooks.urls")),
]
