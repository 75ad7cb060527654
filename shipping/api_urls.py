"""API routes of `shipping`, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("dispatch-batches/", api.BatchListCreateView.as_view(), name="api-dispatch-batches"),
    path("dispatch-batches/<int:pk>/", api.BatchDetailView.as_view(), name="api-dispatch-batch-detail"),
    path(
        "dispatch-batches/<int:pk>/documents/<str:kind>/",
        api.BatchDocumentView.as_view(),
        name="api-batch-document",
    ),
    path(
        "dispatch-batches/<int:pk>/tracking-import/",
        api.TrackingImportView.as_view(),
        name="api-tracking-import",
    ),
    path(
        "dispatch-batches/<int:pk>/delivery-status/",
        api.DeliveryStatusImportView.as_view(),
        name="api-delivery-status-import",
    ),
    path(
        "dispatch-batches/<int:pk>/handed-over/",
        api.BatchHandedOverView.as_view(),
        name="api-batch-handed-over",
    ),
    path("parcels/", api.ParcelListView.as_view(), name="api-parcels"),
    path("parcels/<int:pk>/", api.ParcelDetailView.as_view(), name="api-parcel-detail"),
    path("parcels/<int:pk>/packed/", api.ParcelPackedView.as_view(), name="api-parcel-packed"),
    path("parcels/<int:pk>/void/", api.ParcelVoidView.as_view(), name="api-parcel-void"),
    path("parcels/<int:pk>/delivered/", api.ParcelDeliveredView.as_view(), name="api-parcel-delivered"),
    path("parcels/<int:pk>/returned/", api.ParcelReturnedView.as_view(), name="api-parcel-returned"),
    path("pantry-shipments/", api.PantryShipmentListCreateView.as_view(), name="api-pantry-shipments"),
    path(
        "pantry-shipments/<int:pk>/",
        api.PantryShipmentDetailView.as_view(),
        name="api-pantry-shipment-detail",
    ),
]
