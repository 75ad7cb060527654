"""Page routes of `webhooks`, mounted at the site root."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.endpoint_list, name="endpoints"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<int:pk>/rotate/", views.rotate, name="rotate"),
    path("webhooks/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_pk>/resend/", views.resend, name="resend"),
]
