"""Page routes of `inventory`, mounted at the site root."""

from django.urls import path

from . import offline, views, window_stock

app_name = "inventory"
urlpatterns = [
    path("windows/<int:site_id>/", views.window, name="window"),
    # Under /windows/ so that the worker's scope covers the window pages (docs/window-offline.md).
    path("windows/sw.js", offline.service_worker, name="service-worker"),
    path("windows/manifest.webmanifest", offline.manifest, name="manifest"),
    path("windows/<int:site_id>/history/", views.window_history, name="window-history"),
    path("windows/<int:site_id>/stock/", window_stock.window_stock, name="window-stock"),
    path("windows/<int:site_id>/stock/write-off/", window_stock.window_write_off, name="window-write-off"),
    path("windows/<int:site_id>/stock/count/", window_stock.window_count, name="window-count"),
    path(
        "windows/<int:site_id>/stock/counts/<int:pk>/confirm/",
        window_stock.window_count_confirm,
        name="window-count-confirm",
    ),
    path("windows/<int:site_id>/restock/", views.window_restock, name="window-restock"),
    path("windows/<int:site_id>/restocks/<int:pk>/receive/", views.window_receive, name="window-receive"),
    path("windows/<int:site_id>/handouts/<int:pk>/void/", views.window_void, name="window-void"),
    path("inventory/", views.overview, name="overview"),
    path("inventory/restocks/<int:pk>/approve/", views.restock_approve, name="restock-approve"),
    path("inventory/restocks/<int:pk>/cancel/", views.restock_cancel, name="restock-cancel"),
]
