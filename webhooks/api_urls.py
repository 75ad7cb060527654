"""API routes of `webhooks`, mounted under /api/v1/."""

from django.urls import path

from . import api, endpoints_api

urlpatterns = [
    path("delivery-requests/changes/", api.ChangesView.as_view(), name="api-delivery-request-changes"),
    path("webhook-endpoints/", endpoints_api.EndpointListCreateView.as_view(), name="api-webhook-endpoints"),
    path(
        "webhook-endpoints/<int:pk>/",
        endpoints_api.EndpointDetailView.as_view(),
        name="api-webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<int:pk>/rotate-secret/",
        endpoints_api.RotateSecretView.as_view(),
        name="api-webhook-endpoint-rotate",
    ),
    path(
        "webhook-endpoints/<int:pk>/deliveries/",
        endpoints_api.DeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhook-endpoints/<int:pk>/deliveries/<int:delivery_pk>/resend/",
        endpoints_api.ResendView.as_view(),
        name="api-webhook-delivery-resend",
    ),
]
