"""Page routes of `shipping`, mounted at the site root."""

from django.urls import path

from . import views

app_name = "shipping"
urlpatterns = [
    path("shipping/batches/", views.batch_list, name="batches"),
    path("shipping/batches/<int:pk>/", views.batch_detail, name="batch"),
    path("shipping/batches/<int:pk>/status.json", views.batch_status, name="batch-status"),
    path("shipping/batches/<int:pk>/pack/", views.station, name="station"),
    path("shipping/batches/<int:pk>/pack/<int:parcel_id>/", views.station_pack, name="station-pack"),
    path("shipping/batches/<int:pk>/void/", views.batch_void, name="batch-void"),
    path("shipping/batches/<int:pk>/handed-over/", views.batch_handed_over, name="batch-handed-over"),
    path("shipping/batches/<int:pk>/outcomes/", views.batch_outcomes, name="batch-outcomes"),
    path(
        "shipping/batches/<int:pk>/delivery-status/",
        views.batch_delivery_status,
        name="batch-delivery-status",
    ),
    path("shipping/pantry/", views.pantry, name="pantry"),
]
